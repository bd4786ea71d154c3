// The api and router images' health check: exits 0 when the URL (their /readyz) answers 2xx.
const url = process.argv[2] ?? "http://127.0.0.1:7070/readyz";
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (answer) => process.exit(answer.ok ? 0 : 1),
  () => process.exit(1),
);
