import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as an AWS JSON 1.1 service sees it: the X-Amz-Target and the parsed body. */
export interface JsonRequest {
  target: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

export type JsonAnswer = { status?: number; body: unknown };

/**
 * A protocol-level stand-in for AWS JSON services without an emulator (Glue, Athena), on 127.0.0.1. `answer` sees
 * each request the SDK sent and returns what the service would; every request is recorded for assertions.
 */
export const startJsonServiceFake = async (answer: (request: JsonRequest) => JsonAnswer) => {
  const requests: JsonRequest[] = [];
  const server: Server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const request: JsonRequest = {
      target: String(incoming.headers['x-amz-target'] ?? ''),
      contentType: incoming.headers['content-type'],
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: incoming.headers,
    };
    requests.push(request);
    let reply: JsonAnswer;
    try {
      reply = answer(request);
    } catch (error) {
      reply = { status: 400, body: { __type: 'ValidationException', message: String(error) } };
    }
    outgoing.writeHead(reply.status ?? 200, { 'content-type': 'application/x-amz-json-1.1' });
    outgoing.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
