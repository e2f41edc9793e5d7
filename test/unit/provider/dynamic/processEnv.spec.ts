import * as assert from "assert";
import { scmConfigFrom, scmEnvironment } from "../../../../provider/dynamic/processEnv";

describe("scmConfigFrom", () => {
    it("reads the host-neutral names", () => {
        assert.deepStrictEqual(
            scmConfigFrom({
                PROMOTIONS_SCM_API_URL: "https://ghe.example.com/api/v3",
                PROMOTIONS_SCM_TOKEN: "t",
            }),
            { apiUrl: "https://ghe.example.com/api/v3", token: "t" },
        );
    });

    it("accepts the GitHub-named aliases", () => {
        assert.deepStrictEqual(
            scmConfigFrom({
                PROMOTIONS_GITHUB_API_URL: "https://api.github.com",
                PROMOTIONS_GITHUB_TOKEN: "g",
            }),
            { apiUrl: "https://api.github.com", token: "g" },
        );
    });

    it("the host-neutral name wins over its alias; empty values count as unset", () => {
        assert.deepStrictEqual(
            scmConfigFrom({
                PROMOTIONS_SCM_TOKEN: "new",
                PROMOTIONS_GITHUB_TOKEN: "old",
                PROMOTIONS_SCM_API_URL: "",
            }),
            { token: "new" },
        );
        assert.deepStrictEqual(scmConfigFrom({}), {});
    });

    it("lists the names, the host-neutral one first", () => {
        assert.deepStrictEqual(scmEnvironment, {
            apiUrl: ["PROMOTIONS_SCM_API_URL", "PROMOTIONS_GITHUB_API_URL"],
            token: ["PROMOTIONS_SCM_TOKEN", "PROMOTIONS_GITHUB_TOKEN"],
        });
    });
});
