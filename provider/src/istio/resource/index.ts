/** Reading objects as typed resources: the envelope and the shape, as the API server checks them. */
export * from "./codes";
export * from "./shape-findings";
export * from "./parse-resource";
