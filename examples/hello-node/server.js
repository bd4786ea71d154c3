// A small Node.js HTTP server for Grove's `node` stack: answers on $PORT with its instance index.
const http = require("node:http");

const port = Number(process.env.PORT || 8080);
const index = process.env.INSTANCE_INDEX || "0";

http
  .createServer((req, res) => {
    console.log(`${req.method} ${req.url}`);
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end(`Hello from Grove on Node ${process.version}, instance ${index}\n`);
  })
  .listen(port, () => console.log(`listening on ${port}`));
