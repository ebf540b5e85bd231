/**
 * `istio-gateway:index:VirtualService`: an Istio VirtualService (`networking.istio.io/v1`) as a
 * Pulumi component, validated at preview time by the same rules as `istioctl validate`, and
 * checked against the Gateways of the same program that it names.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { VirtualServiceSpec } from "../istio/model";
import type { Issue } from "../istio/validate";
import { virtualServiceBindingIssues } from "./binding-check";
import { customResourceArgs, redactedInputs } from "./component-inputs";
import type { Declared } from "./declarations";
import { declarationsOfStack, declared, gatewayKeys } from "./declarations";
import type { ResourceMetadata } from "./metadata";
import type { CheckInput, IstioObject } from "./preview-check";
import { checkNow, checkWhenKnown, logWarnings, throwOnErrors } from "./preview-check";

/** The type token of {@link VirtualService}. */
export const VIRTUAL_SERVICE_TYPE = "istio-gateway:index:VirtualService";

/** The inputs of a {@link VirtualService}: the custom resource's `metadata` and `spec`. */
export interface VirtualServiceArgs {
  /** Name, namespace, labels and annotations. The name defaults to the Pulumi resource name. */
  metadata?: pulumi.Input<ResourceMetadata>;
  /**
   * The VirtualService itself, in Istio's field names: `hosts`, `gateways` and the `http`, `tls`
   * and `tcp` routes. Validated at preview, and against every Gateway of the same program named in
   * `gateways`: an error fails the preview and names the property (`spec.http[0].route`).
   */
  spec: pulumi.Input<VirtualServiceSpec>;
  /**
   * The CustomResourceDefinitions to wait for (`IstioCrds`' `definitions`), when the same program
   * installs them. Leave out on clusters that already run Istio.
   */
  crds?: pulumi.Input<pulumi.Input<k8s.apiextensions.v1.CustomResourceDefinition>[]>;
}

/**
 * An Istio VirtualService: the routes for a set of hosts, applied to the Gateways named in
 * `spec.gateways` (by `name` in the same namespace, or by a Gateway's `qualifiedName`).
 */
export class VirtualService extends pulumi.ComponentResource {
  /** `metadata.name` of the VirtualService resource. */
  readonly name: pulumi.Output<string>;
  /** `metadata.namespace` of the VirtualService resource. */
  readonly namespace: pulumi.Output<string>;
  /**
   * The `networking.istio.io/v1` VirtualService, a `@pulumi/kubernetes`
   * `apiextensions.CustomResource`. Typed `any`: Pulumi's schema can only name a resource class
   * that has a fixed type token.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly customResource: any;

  constructor(name: string, args: VirtualServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const check: CheckInput = {
      kind: "VirtualService",
      resourceName: name,
      metadata: args.metadata,
      spec: args.spec,
    };
    const sync = checkNow(check);
    const bindingNow = sync.object === undefined ? [] : declareVirtualService(sync.object, name);
    super(VIRTUAL_SERVICE_TYPE, name, redactedInputs(args), opts);

    logWarnings([...sync.warnings, ...bindingNow], this);
    let object: pulumi.Input<IstioObject>;
    if (sync.object !== undefined) {
      object = sync.object;
      warnUndeclaredGateways(sync.object, this);
    } else {
      object = checkWhenKnown(check, sync, this, (known) => {
        const issues = declareVirtualService(known, name);
        warnUndeclaredGateways(known, this);
        return issues;
      });
    }
    const objectOutput = pulumi.output(object);
    this.name = objectOutput.apply((o) => o.metadata.name);
    this.namespace = objectOutput.apply((o) => o.metadata.namespace);
    this.customResource = new k8s.apiextensions.CustomResource(
      name,
      customResourceArgs("VirtualService", object),
      {
        parent: this,
        dependsOn: args.crds ?? [],
      },
    );
    this.registerOutputs({ name: this.name, namespace: this.namespace, customResource: this.customResource });
  }
}

/**
 * Records a known VirtualService and checks it against the Gateways already known that it names.
 * Errors are thrown here, by the VirtualService (the later of the two); warnings are returned.
 */
function declareVirtualService(object: IstioObject, resourceName: string): Issue[] {
  const declarations = declarationsOfStack();
  const vs: Declared = declared(object, resourceName);
  declarations.virtualServices.push(vs);
  const issues = virtualServiceBindingIssues(declarations, vs);
  throwOnErrors(
    { kind: "VirtualService", namespace: object.metadata.namespace, name: object.metadata.name },
    issues,
  );
  return issues;
}

/**
 * Warns about each named Gateway the program does not declare: its binding cannot be checked.
 * Runs after the program's synchronous part, so Gateways declared later in the file count; while
 * a Gateway's own name is still unknown, no reference is called missing.
 */
function warnUndeclaredGateways(object: IstioObject, resource: pulumi.Resource): void {
  setImmediate(() => {
    const declarations = declarationsOfStack();
    if (declarations.pendingGateways > 0) return;
    gatewayKeys(object).forEach((key, i) => {
      if (key === undefined || declarations.gateways.has(key)) return;
      void pulumi.log.warn(
        `spec.gateways[${i}]: the program declares no Gateway ${JSON.stringify(key)}, so the binding to it is not checked`,
        resource,
      );
    });
  });
}
