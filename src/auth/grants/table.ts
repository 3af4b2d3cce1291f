/**
 * The grants that can sign in, by name: adding one is a new module and a line here.
 *
 * @module
 */

import type { GrantName } from "../oauth_options.ts";
import { AUTHORIZATION_CODE } from "./authorization_code.ts";
import { CLIENT_CREDENTIALS } from "./client_credentials.ts";
import { DEVICE_CODE_GRANT } from "./device_code.ts";
import { ENTERPRISE_MANAGED } from "./enterprise_managed.ts";
import type { Grant } from "./grant.ts";
import { WORKLOAD_IDENTITY } from "./workload_identity.ts";

/**
 * Every grant, by the name `--client-credentials` / `--device-code` (or neither) choose.
 *
 * @example Usage
 * ```ts
 * import { GRANTS } from "./table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(GRANTS.client_credentials.renewal, "obtain");
 * assert.equal(GRANTS.authorization_code.callback, true);
 * ```
 */
export const GRANTS: Readonly<Record<GrantName, Grant>> = {
  authorization_code: AUTHORIZATION_CODE,
  client_credentials: CLIENT_CREDENTIALS,
  device_code: DEVICE_CODE_GRANT,
  workload_identity: WORKLOAD_IDENTITY,
  enterprise_managed: ENTERPRISE_MANAGED,
};
