// The types of /console/vendor/dagre.js, which the server answers with @dagrejs/dagre's self-contained ES module
// build (server/console.ts): this file only lets `tsc` check the console's use of it. Never served.
export { default } from "@dagrejs/dagre";
