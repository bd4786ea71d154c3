import { groveVitestConfig } from "../../vitest.shared.ts";

export default groveVitestConfig({ integration: false });
