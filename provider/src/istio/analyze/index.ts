/** Cross-resource analysis, as `istioctl analyze` does it for Gateways and VirtualServices. */
export * from "./analyze";
export * from "./options";
export * from "./codes";
export { checkCredential } from "./credential";
export type { CredentialProblem } from "./credential";
