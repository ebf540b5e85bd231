// The proxy's pods meet the restricted Pod Security Standard, with the zero-build default and with a
// custom image; and the checker itself rejects each control it implements (so a pass means something).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { proxyManifests } from "../../provider/src/components/gateway-proxy/manifests";
import { bookinfoSettings } from "./fixtures";
import type { PodSpec } from "./pod-security-standard";
import { restrictedViolations } from "./pod-security-standard";

function podSpecOf(settings = bookinfoSettings()): PodSpec {
  const deployment = proxyManifests(settings).deployment as PodSpec;
  return structuredClone(deployment.spec.template.spec);
}

describe("restricted Pod Security Standard", () => {
  it("the zero-build pod meets it", () => {
    assert.deepEqual(restrictedViolations(podSpecOf()), []);
  });

  it("the custom-image pod meets it", () => {
    const spec = podSpecOf(
      bookinfoSettings({ image: "registry.example.com/istio-gateway:0.1.0", bundle: undefined }),
    );
    assert.deepEqual(restrictedViolations(spec), []);
  });

  const c = "spec.containers[0]";
  const cases: [string, (s: PodSpec) => void, string[]][] = [
    ["host network", (s) => (s.hostNetwork = true), ["spec.hostNetwork: must be false or unset (got true)"]],
    ["host PID", (s) => (s.hostPID = true), ["spec.hostPID: must be false or unset (got true)"]],
    ["host IPC", (s) => (s.hostIPC = true), ["spec.hostIPC: must be false or unset (got true)"]],
    [
      "a hostPath volume",
      (s) => s.volumes.push({ name: "h", hostPath: { path: "/" } }),
      [
        'spec.volumes[2]: must be one of configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret (got "hostPath")',
      ],
    ],
    [
      "a privileged container",
      (s) => (s.containers[0].securityContext.privileged = true),
      [`${c}.securityContext.privileged: must be false or unset (got true)`],
    ],
    [
      "a host port",
      (s) => (s.containers[0].ports[0].hostPort = 80),
      [`${c}.ports[0].hostPort: must be 0 or unset (got 80)`],
    ],
    [
      "privilege escalation left to the default",
      (s) => delete s.containers[0].securityContext.allowPrivilegeEscalation,
      [`${c}.securityContext.allowPrivilegeEscalation: must be false (got undefined)`],
    ],
    [
      "runAsNonRoot nowhere",
      (s) => {
        delete s.containers[0].securityContext.runAsNonRoot;
        delete s.securityContext.runAsNonRoot;
      },
      [
        `${c}.securityContext.runAsNonRoot: must be true here or in the pod's securityContext (got undefined)`,
      ],
    ],
    [
      "root user",
      (s) => (s.containers[0].securityContext.runAsUser = 0),
      [`${c}.securityContext.runAsUser: must not be 0 (got 0)`],
    ],
    [
      "an unconfined seccomp profile",
      (s) => (s.containers[0].securityContext.seccompProfile = { type: "Unconfined" }),
      [
        `${c}.securityContext.seccompProfile.type: must be "RuntimeDefault" or "Localhost" here or in the pod's securityContext (got "Unconfined")`,
      ],
    ],
    [
      "capabilities not dropped",
      (s) => (s.containers[0].securityContext.capabilities = { drop: ["NET_RAW"] }),
      [`${c}.securityContext.capabilities.drop: must include "ALL" (got ["NET_RAW"])`],
    ],
    [
      "a capability added",
      (s) => (s.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE", "NET_ADMIN"]),
      [`${c}.securityContext.capabilities.add: may only hold "NET_BIND_SERVICE" (got ["NET_ADMIN"])`],
    ],
    [
      "an unsafe sysctl",
      (s) => (s.securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }]),
      ['spec.securityContext.sysctls[0].name: must be a safe sysctl (got "kernel.msgmax")'],
    ],
    [
      "a proc mount unmasked",
      (s) => (s.containers[0].securityContext.procMount = "Unmasked"),
      [`${c}.securityContext.procMount: must be "Default" or unset (got "Unmasked")`],
    ],
    [
      "an SELinux user",
      (s) => (s.securityContext.seLinuxOptions = { user: "system_u" }),
      ['spec.securityContext.seLinuxOptions.user: must be empty (got "system_u")'],
    ],
  ];
  for (const [name, mutate, expected] of cases) {
    it(`rejects ${name}`, () => {
      const spec = podSpecOf();
      mutate(spec);
      assert.deepEqual(restrictedViolations(spec), expected);
    });
  }
});
