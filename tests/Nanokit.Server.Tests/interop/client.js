// An independent gRPC client for nkapp server: @grpc/grpc-js with @grpc/proto-loader reading the same .proto.
// Usage: node client.js ADDRESS PROTO_ROOT HTTP_RULE_PROTOS WRITE_TOKEN READ_TOKEN PROJECT
// (HTTP_RULE_PROTOS: the folder with google/api/annotations.proto, which nanokit.proto imports for its JSON routes.)
// Drives unary calls, a WatchProject stream, a deadline, a cancellation, a call without a token and an invalid
// file, and prints one JSON object with what each returned; InteropTests.cs asserts on it.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, protoRoot, httpRuleProtos, writeToken, readToken, project] = process.argv.slice(2);
const definition = protoLoader.loadSync('nanokit/v1/nanokit.proto', {
  includeDirs: [protoRoot, httpRuleProtos], longs: String, enums: String, defaults: true, oneofs: true,
});
const v1 = grpc.loadPackageDefinition(definition).nanokit.v1;
const client = new v1.Projects(address, grpc.credentials.createInsecure());

function as(token) {
  const metadata = new grpc.Metadata();
  if (token) metadata.add('authorization', 'Bearer ' + token);
  return metadata;
}

function unary(method, request, token, options = {}) {
  return new Promise((resolve) => {
    client[method](request, as(token), options, (error, response) =>
      resolve(error ? { code: error.code, details: error.details } : { code: 0, response }));
  });
}

function file(yaml) {
  return { files: [{ name: 'nanokit.yml', content: Buffer.from(yaml) }] };
}

// Reads the stream until a run of `generation` completed; resolves with the events (or the error that ended it).
function watchUntilConverged(afterRevision, generation, seconds) {
  return new Promise((resolve) => {
    const events = [];
    const call = client.WatchProject({ project, afterRevision: String(afterRevision) }, as(readToken), { deadline: Date.now() + seconds * 1000 });
    call.on('data', (e) => {
      events.push({ revision: Number(e.revision), generation: Number(e.generation), kind: e.event, node: e.node });
      if (e.event === 'runCompleted' && Number(e.generation) >= generation) {
        call.cancel();
        resolve({ code: 0, events, succeeded: e.runCompleted.succeeded });
      }
    });
    call.on('error', (error) => resolve({ code: error.code, details: error.details, events }));
  });
}

function watchError(request, options, cancelAfterFirst) {
  return new Promise((resolve) => {
    let received = 0;
    const call = client.WatchProject(request, as(readToken), options);
    call.on('data', () => {
      received++;
      if (cancelAfterFirst) call.cancel();
    });
    call.on('error', (error) => resolve({ code: error.code, details: error.details, received }));
    call.on('end', () => resolve({ code: 0, received }));
  });
}

async function main() {
  const yaml = `name: ${project}\nruntime: docker\nservices:\n  db:\n    image: postgres:16\n  api:\n    image: nginx:1.27\n    depends_on: [db]\n`;
  const result = {};
  const applied = await unary('ApplyProject', file(yaml), writeToken);
  result.apply = { code: applied.code, generation: Number(applied.response?.generation), revision: Number(applied.response?.revision) };
  result.watch = await watchUntilConverged(result.apply.revision - 1, result.apply.generation, 60);
  const got = await unary('GetProject', { project }, readToken);
  result.get = { code: got.code, phase: got.response?.phase, observedGeneration: Number(got.response?.observedGeneration), revision: Number(got.response?.revision), owner: got.response?.owner };
  result.deadline = await watchError({ project, afterRevision: String(result.get.revision) }, { deadline: Date.now() + 1000 }, false);
  result.cancelled = await watchError({ project, afterRevision: '0' }, { deadline: Date.now() + 20000 }, true);
  result.unauthenticated = await unary('GetProject', { project }, null);
  result.permissionDenied = await unary('ApplyProject', file(yaml), readToken);
  result.notFound = await unary('GetProject', { project: project + '-never-applied' }, readToken);
  result.invalid = await unary('ApplyProject', file(`name: ${project}\nservices:\n  api:\n    image: nginx\n    depends_on: [nowhere]\n    restart: sometimes\n`), writeToken);
  result.tooLarge = await unary('ApplyProject', file(yaml + '#' + 'x'.repeat(5 * 1024 * 1024)), writeToken);
  process.stdout.write(JSON.stringify(result) + '\n');
  client.close();
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
