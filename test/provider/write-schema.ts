// Regenerates sdk/schema.json from the components' Args interfaces (what `pulumi package add
// ./provider` infers). Run: node --import tsx test/provider/write-schema.ts
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageSchemaText } from "../../provider/src/components/package-schema";

void packageSchemaText().then((text) => {
  writeFileSync(join(__dirname, "..", "..", "sdk", "schema.json"), text);
  console.log("wrote sdk/schema.json");
});
