// Apollo Gateway (on Apollo Server's standalone HTTP server) serving the
// supergraph make bench gives it, forwarding the client's Authorization to
// every subgraph fetch (the subgraphs verify it themselves).
//
//	node apollo.mjs SUPERGRAPH_FILE PORT
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';

const [supergraph, port] = process.argv.slice(2);
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraph, 'utf8'),
  buildService: ({ url }) => new RemoteGraphQLDataSource({
    url,
    willSendRequest({ request, context }) {
      if (context.authorization) request.http.headers.set('authorization', context.authorization);
    },
  }),
});
const server = new ApolloServer({ gateway, csrfPrevention: false, introspection: false });
await startStandaloneServer(server, {
  listen: { port: Number(port), host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.error(`apollo gateway on :${port}`);
