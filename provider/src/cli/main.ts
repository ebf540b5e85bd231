/** The `istio-gateway` command line. */
export async function main(argv: string[]): Promise<number> {
  console.error(`istio-gateway: no commands yet (${argv.join(" ")})`);
  return 2;
}
