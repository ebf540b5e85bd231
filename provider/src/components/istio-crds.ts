/**
 * `istio-gateway:index:IstioCrds`: the CustomResourceDefinitions of the kinds this package creates,
 * with structural schemas generated from the same zod model the rules use, so the API server
 * rejects what the model rejects. Clusters that already run Istio skip it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildCustomResourceDefinition } from "../istio/schema/crd";

/** The type token of {@link IstioCrds}. */
export const ISTIO_CRDS_TYPE = "istio-gateway:index:IstioCrds";

/** The kinds whose definitions the component installs: the ones the other components create. */
const INSTALLED_KINDS = ["Gateway", "VirtualService"] as const;

/** The inputs of {@link IstioCrds}. */
export interface IstioCrdsArgs {
  /**
   * Labels added to every CustomResourceDefinition, besides the ones the definitions carry.
   */
  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}

/**
 * The `gateways.networking.istio.io` and `virtualservices.networking.istio.io` definitions: `v1`
 * stored, `v1beta1` and `v1alpha3` served. Pass `definitions`
 * as the `crds` input of Gateways and VirtualServices so they wait for them.
 */
export class IstioCrds extends pulumi.ComponentResource {
  /** The CustomResourceDefinitions, in a stable order. */
  readonly definitions: k8s.apiextensions.v1.CustomResourceDefinition[];
  /** Their names (`gateways.networking.istio.io`, ...). */
  readonly names: pulumi.Output<string[]>;

  constructor(name: string, args: IstioCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ISTIO_CRDS_TYPE, name, args, opts);
    this.definitions = INSTALLED_KINDS.map((kind) => {
      const definition = buildCustomResourceDefinition(kind);
      const labels =
        args?.labels === undefined
          ? definition.metadata.labels
          : pulumi.output(args.labels).apply((extra) => ({ ...definition.metadata.labels, ...extra }));
      return new k8s.apiextensions.v1.CustomResourceDefinition(
        `${name}-${definition.spec.names.plural}`,
        { ...definition, metadata: { ...definition.metadata, labels } },
        { parent: this },
      );
    });
    this.names = pulumi.output(this.definitions.map((d) => d.metadata.name));
    this.registerOutputs({ definitions: this.definitions, names: this.names });
  }
}
