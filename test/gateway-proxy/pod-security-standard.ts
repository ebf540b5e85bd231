// The restricted Pod Security Standard (Kubernetes' "restricted" profile, which includes every
// "baseline" control) as a checker over a pod spec: each control of the published standard, with
// its path and the value found. The local API server's PodSecurity admission is the second opinion
// (kube-apiserver.test.ts); this one runs without any tool and says which control failed.

/** A pod spec as far as the standard reads it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PodSpec = Record<string, any>;

const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);
const RESTRICTED_VOLUMES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
];
const SELINUX_TYPES = new Set([
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
]);

const q = (v: unknown) => (v === undefined ? "undefined" : JSON.stringify(v));

/** Every violation of the restricted profile in `spec`, as `path: rule (got value)`, in a fixed order. */
export function restrictedViolations(spec: PodSpec, root = "spec"): string[] {
  const out: string[] = [];
  const add = (path: string, rule: string, got: unknown) => out.push(`${path}: ${rule} (got ${q(got)})`);
  const podSc = spec.securityContext ?? {};

  // Baseline: host namespaces, host ports, host paths, windows host process.
  for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (spec[f] === true) add(`${root}.${f}`, "must be false or unset", spec[f]);
  }
  if (podSc.windowsOptions?.hostProcess === true) {
    add(`${root}.securityContext.windowsOptions.hostProcess`, "must be false or unset", true);
  }
  // Baseline and restricted: volumes.
  (spec.volumes ?? []).forEach((v: PodSpec, i: number) => {
    const types = Object.keys(v).filter((k) => k !== "name");
    const bad = types.filter((t) => !RESTRICTED_VOLUMES.includes(t));
    if (bad.length > 0)
      add(`${root}.volumes[${i}]`, `must be one of ${RESTRICTED_VOLUMES.join(", ")}`, bad.join(","));
  });
  // Pod-level security context.
  checkSeLinux(podSc.seLinuxOptions, `${root}.securityContext.seLinuxOptions`, add);
  if (podSc.runAsUser === 0) add(`${root}.securityContext.runAsUser`, "must not be 0", 0);
  if (
    podSc.seccompProfile?.type === "Unconfined" ||
    (podSc.seccompProfile !== undefined && !seccompOk(podSc.seccompProfile.type))
  ) {
    add(
      `${root}.securityContext.seccompProfile.type`,
      'must be "RuntimeDefault" or "Localhost"',
      podSc.seccompProfile.type,
    );
  }
  if (podSc.appArmorProfile !== undefined && !appArmorOk(podSc.appArmorProfile.type)) {
    add(
      `${root}.securityContext.appArmorProfile.type`,
      'must be "RuntimeDefault" or "Localhost"',
      podSc.appArmorProfile.type,
    );
  }
  (podSc.sysctls ?? []).forEach((s: PodSpec, i: number) => {
    if (!SAFE_SYSCTLS.has(s.name))
      add(`${root}.securityContext.sysctls[${i}].name`, "must be a safe sysctl", s.name);
  });

  const groups = [
    ["containers", spec.containers ?? []],
    ["initContainers", spec.initContainers ?? []],
    ["ephemeralContainers", spec.ephemeralContainers ?? []],
  ] as const;
  for (const [field, list] of groups) {
    (list as PodSpec[]).forEach((c, i) => {
      const path = `${root}.${field}[${i}]`;
      const sc = c.securityContext ?? {};
      const scPath = `${path}.securityContext`;
      if (sc.privileged === true) add(`${scPath}.privileged`, "must be false or unset", true);
      if (sc.windowsOptions?.hostProcess === true)
        add(`${scPath}.windowsOptions.hostProcess`, "must be false or unset", true);
      (c.ports ?? []).forEach((p: PodSpec, j: number) => {
        if (p.hostPort !== undefined && p.hostPort !== 0)
          add(`${path}.ports[${j}].hostPort`, "must be 0 or unset", p.hostPort);
      });
      if (sc.procMount !== undefined && sc.procMount !== "Default")
        add(`${scPath}.procMount`, 'must be "Default" or unset', sc.procMount);
      checkSeLinux(sc.seLinuxOptions, `${scPath}.seLinuxOptions`, add);
      if (sc.appArmorProfile !== undefined && !appArmorOk(sc.appArmorProfile.type)) {
        add(
          `${scPath}.appArmorProfile.type`,
          'must be "RuntimeDefault" or "Localhost"',
          sc.appArmorProfile.type,
        );
      }
      // Restricted.
      if (sc.allowPrivilegeEscalation !== false)
        add(`${scPath}.allowPrivilegeEscalation`, "must be false", sc.allowPrivilegeEscalation);
      if (sc.runAsNonRoot === false)
        add(`${scPath}.runAsNonRoot`, "must be true or unset with the pod's true", false);
      else if (sc.runAsNonRoot !== true && podSc.runAsNonRoot !== true) {
        add(`${scPath}.runAsNonRoot`, "must be true here or in the pod's securityContext", sc.runAsNonRoot);
      }
      if (sc.runAsUser === 0) add(`${scPath}.runAsUser`, "must not be 0", 0);
      const seccomp = sc.seccompProfile?.type;
      if (seccomp !== undefined ? !seccompOk(seccomp) : !seccompOk(podSc.seccompProfile?.type)) {
        add(
          `${scPath}.seccompProfile.type`,
          'must be "RuntimeDefault" or "Localhost" here or in the pod\'s securityContext',
          seccomp,
        );
      }
      const caps = sc.capabilities ?? {};
      if (!(caps.drop ?? []).includes("ALL"))
        add(`${scPath}.capabilities.drop`, 'must include "ALL"', caps.drop);
      const added: string[] = caps.add ?? [];
      // Restricted allows only NET_BIND_SERVICE, a subset of baseline's list, so one check covers both.
      const badAdd = added.filter((a) => a !== "NET_BIND_SERVICE");
      if (badAdd.length > 0) add(`${scPath}.capabilities.add`, 'may only hold "NET_BIND_SERVICE"', badAdd);
    });
  }
  return out;
}

function seccompOk(type: unknown): boolean {
  return type === "RuntimeDefault" || type === "Localhost";
}

function appArmorOk(type: unknown): boolean {
  return type === "RuntimeDefault" || type === "Localhost";
}

function checkSeLinux(
  o: PodSpec | undefined,
  path: string,
  add: (p: string, r: string, g: unknown) => void,
): void {
  if (o === undefined) return;
  if (o.type !== undefined && !SELINUX_TYPES.has(o.type))
    add(`${path}.type`, "must be a container type", o.type);
  if (o.user !== undefined && o.user !== "") add(`${path}.user`, "must be empty", o.user);
  if (o.role !== undefined && o.role !== "") add(`${path}.role`, "must be empty", o.role);
}
