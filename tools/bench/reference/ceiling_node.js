// Ceiling: the fastest a single Node.js process answers the same three routes with node:http alone.
const http = require('node:http');
const body = JSON.stringify({ message: 'config', API_BASE_URL: process.env.API_BASE_URL ?? null });
http
  .createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('Hello');
    }
    if (req.url === '/config') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(body);
    }
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('OK');
    }
    res.writeHead(404);
    res.end();
  })
  .listen(Number(process.env.PORT ?? 5001), '127.0.0.1');
