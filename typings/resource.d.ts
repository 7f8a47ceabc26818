declare module "Resource" {
  export default class Resource extends ArrayBuffer {
    constructor(name: string);
    static exists(name: string): boolean;
  }
}
