// Hive Gateway's configuration for make bench: the supergraph file is given
// on the command line (hive-gateway supergraph FILE); the client's
// Authorization goes to every subgraph fetch (the subgraphs verify it).
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') ?? '' }),
  },
});
