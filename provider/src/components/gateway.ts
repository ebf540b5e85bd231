/**
 * `istio-gateway:index:Gateway`: an Istio Gateway (`networking.istio.io/v1`) as a Pulumi component,
 * validated at preview time by the same rules as `istioctl validate`, with optional TLS material
 * turned into the Secrets its servers name.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GatewaySpec } from "../istio/model";
import type { Issue } from "../istio/validate";
import { validateCredentials } from "./credential-rules";
import { isPending } from "./known-values";
import type { Declared } from "./declarations";
import { declarationsOfStack, declared, virtualServicesOf } from "./declarations";
import { gatewayBindingIssues } from "./binding-check";
import type { ResourceMetadata } from "./metadata";
import type { CheckInput, IstioObject } from "./preview-check";
import { checkNow, checkWhenKnown, logWarnings, throwOnErrors } from "./preview-check";
import { createCredentialSecrets } from "./credential-secrets";
import { customResourceArgs, redactedInputs } from "./component-inputs";
import type { TLSCredential } from "./tls-credential";

/** The type token of {@link Gateway}. */
export const GATEWAY_TYPE = "istio-gateway:index:Gateway";

/** The inputs of a {@link Gateway}: the custom resource's `metadata` and `spec`, and TLS material. */
export interface GatewayArgs {
  /** Name, namespace, labels and annotations. The name defaults to the Pulumi resource name. */
  metadata?: pulumi.Input<ResourceMetadata>;
  /**
   * The Gateway itself, in Istio's field names: `servers` (port, hosts, tls) and `selector`.
   * Validated at preview: an error fails the preview and names the property
   * (`spec.servers[0].tls.credentialName`).
   */
  spec: pulumi.Input<GatewaySpec>;
  /**
   * Certificate, key and CA content for the servers' `tls.credentialName`s: for each, the component
   * creates the Kubernetes Secret Istio reads (`tls.crt`, `tls.key`, `ca.crt`), with the content
   * kept as Pulumi secrets. Leave out when the Secrets exist already.
   */
  credentials?: pulumi.Input<pulumi.Input<TLSCredential>[]>;
  /**
   * The CustomResourceDefinitions to wait for (`IstioCrds`' `definitions`), when the same program
   * installs them. Leave out on clusters that already run Istio.
   */
  crds?: pulumi.Input<pulumi.Input<k8s.apiextensions.v1.CustomResourceDefinition>[]>;
}

/**
 * An Istio Gateway: the ports, hosts and TLS settings of the ingress gateway pods its `selector`
 * picks. VirtualServices bind to it by `qualifiedName` (`<namespace>/<name>`) or by `name` from the
 * same namespace.
 */
export class Gateway extends pulumi.ComponentResource {
  /** `metadata.name` of the Gateway resource. */
  readonly name: pulumi.Output<string>;
  /** `metadata.namespace` of the Gateway resource. */
  readonly namespace: pulumi.Output<string>;
  /** `<namespace>/<name>`: the form a VirtualService in any namespace can name it by in `spec.gateways`. */
  readonly qualifiedName: pulumi.Output<string>;
  /**
   * The `networking.istio.io/v1` Gateway, a `@pulumi/kubernetes` `apiextensions.CustomResource`.
   * Typed `any`: Pulumi's schema can only name a resource class that has a fixed type token.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly customResource: any;
  /** The Secrets made from `credentials`, in order. */
  readonly credentialSecrets: pulumi.Output<k8s.core.v1.Secret[]>;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    const check: CheckInput = {
      kind: "Gateway",
      resourceName: name,
      metadata: args.metadata,
      spec: args.spec,
      extraRules: (object, complete) => credentialRules(object, complete, args.credentials),
    };
    const sync = checkNow(check);
    const declarations = declarationsOfStack();
    const bindingNow = sync.object === undefined ? [] : declareGateway(sync.object, name);
    super(GATEWAY_TYPE, name, redactedInputs(args), opts);

    logWarnings([...sync.warnings, ...bindingNow], this);
    let object: pulumi.Input<IstioObject>;
    if (sync.object !== undefined) object = sync.object;
    else {
      declarations.pendingGateways++;
      object = checkWhenKnown(check, sync, this, (known) => {
        declarations.pendingGateways--;
        return declareGateway(known, name);
      });
    }
    const objectOutput = pulumi.output(object);
    this.name = objectOutput.apply((o) => o.metadata.name);
    this.namespace = objectOutput.apply((o) => o.metadata.namespace);
    this.qualifiedName = pulumi.interpolate`${this.namespace}/${this.name}`;
    this.credentialSecrets = createCredentialSecrets(this, name, args.credentials, this.namespace);
    this.customResource = new k8s.apiextensions.CustomResource(name, customResourceArgs("Gateway", object), {
      parent: this,
      dependsOn: pulumi.all([args.crds ?? [], this.credentialSecrets]).apply(([c, s]) => [...c, ...s]),
    });
    this.registerOutputs({
      name: this.name,
      namespace: this.namespace,
      qualifiedName: this.qualifiedName,
      customResource: this.customResource,
      credentialSecrets: this.credentialSecrets,
    });
  }
}

/**
 * The credential rules. They look at which fields a credential gives, not at their content, so
 * they run at once even when the content is a secret Output (config, another resource); a list
 * that is itself an Output, or an entry that is, is left to the Kubernetes API server.
 */
function credentialRules(
  object: IstioObject,
  complete: boolean,
  credentials: GatewayArgs["credentials"],
): Issue[] {
  if (!Array.isArray(credentials)) return [];
  const given = credentials.map((c) => (isPending(c) ? undefined : (c as TLSCredential)));
  const ref = {
    kind: "Gateway",
    namespace: object.metadata?.namespace ?? "",
    name: object.metadata?.name ?? "",
  };
  return validateCredentials(ref, complete ? (object.spec as GatewaySpec) : undefined, given);
}

/**
 * Records a known Gateway and checks the VirtualServices already known that reference it. Errors
 * are thrown here, by the Gateway (the later of the two), naming the VirtualService; the
 * warnings are returned for logging.
 */
function declareGateway(object: IstioObject, resourceName: string): Issue[] {
  const declarations = declarationsOfStack();
  const gateway: Declared = declared(object, resourceName);
  declarations.gateways.set(gateway.key, gateway);
  const issues = virtualServicesOf(declarations, gateway.key).flatMap((vs) =>
    gatewayBindingIssues(declarations, gateway, vs).map((issue) => onGateway(issue, vs)),
  );
  throwOnErrors(
    { kind: "Gateway", namespace: object.metadata.namespace, name: object.metadata.name },
    issues,
  );
  return issues;
}

/** A finding about a VirtualService, restated on the Gateway whose servers it does not fit. */
function onGateway(issue: Issue, vs: Declared): Issue {
  return {
    ...issue,
    path: "spec.servers",
    message: `VirtualService ${JSON.stringify(vs.key)} (resource ${JSON.stringify(vs.resourceName)}) ${issue.path}: ${issue.message}`,
  };
}
