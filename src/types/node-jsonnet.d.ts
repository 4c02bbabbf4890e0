// The package ships its types outside its "exports" map, which nodenext resolution honours;
// this declares the part of its API riposte uses.
declare module '@hanazuki/node-jsonnet' {
  export class Jsonnet {
    static readonly version: string;
    evaluateFile(filename: string): Promise<string>;
    evaluateSnippet(snippet: string, filename?: string): Promise<string>;
    addJpath(path: string): this;
  }
}
