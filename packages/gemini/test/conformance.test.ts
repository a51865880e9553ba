import { describeProviderConformance } from "@rephysco/testing";
import "../src/index.js";
import { TEST_KEY } from "./helpers.js";

describeProviderConformance({
  name: "@rephysco/gemini",
  providerId: "gemini",
  dialect: "gemini",
  model: "gemini-2.5-flash",
  settings: (server) => ({ apiKey: TEST_KEY, baseURL: server.url }),
});
