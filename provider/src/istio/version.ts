/**
 * The version of the istio-gateway package (provider/package.json's `version`), written here so
 * that every layer, and the proxy's bundle, can name its build without reading the package file.
 * test/proxy/istio-metrics.test.ts holds the two equal.
 */
export const PACKAGE_VERSION = "0.1.0";
