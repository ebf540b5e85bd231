/** Parsing configuration text into located objects. */
export * from "./documents";
