// usage: node apollo-compose.mjs name=file.graphql ... > supergraph.graphql
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@apollo/composition";

const services = process.argv.slice(2).map((arg) => {
  const [name, file] = arg.split("=");
  return { name, url: `http://${name}.invalid/graphql`, typeDefs: parse(readFileSync(file, "utf8")) };
});
const result = composeServices(services);
if (result.errors && result.errors.length) {
  for (const e of result.errors) console.error(`error: ${e.message}`);
  process.exit(1);
}
for (const h of result.hints ?? []) console.error(`hint: ${h.definition.code}: ${h.message}`);
process.stdout.write(result.supergraphSdl);
