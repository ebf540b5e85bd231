/**
 * Every code of every rule, joined from the tables the rule modules define. The README's table of
 * codes is checked against this catalogue, and a code defined twice is a test failure.
 */
import type { CodeTable } from "./issue";
import { inputCodes } from "./input-codes";
import { metadataCodes } from "./metadata";
import { gatewayCodes } from "./gateway/codes";
import { virtualServiceCodes } from "./virtual-service/codes";
import { analyzeCodes } from "../analyze/codes";
import { shapeCodes } from "../resource/codes";
import { destinationRuleCodes } from "./destination-rule";
import { serviceEntryCodes } from "./service-entry";
import { authorizationPolicyCodes } from "./authorization-policy";
import { requestAuthenticationCodes } from "./request-authentication";
import { translateCodes } from "../translate/codes";

/** All code tables, in README order. Rule modules add their table here. */
export const codeTables: readonly CodeTable[] = [
  inputCodes,
  shapeCodes,
  metadataCodes,
  gatewayCodes,
  virtualServiceCodes,
  analyzeCodes,
  destinationRuleCodes,
  serviceEntryCodes,
  authorizationPolicyCodes,
  requestAuthenticationCodes,
  translateCodes,
];

/** The joined catalogue: code -> entry. */
export const allCodes: CodeTable = Object.freeze(Object.assign({}, ...codeTables));
