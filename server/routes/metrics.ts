import { apiBase } from "./common";
import type { RouteContext } from "./common";
import { apiError, ApiRefusal } from "../errors";

/** GET /api/v1/metrics: Prometheus' text format, behind the API's access rules (a token in a bearer header). */
export function addMetricsRoutes({ app, o }: RouteContext): void {
    app.get(`${apiBase}/metrics`, async (c) => {
        if (!o.metrics) {
            const { status, body } = apiError(
                new ApiRefusal(404, "not_found", "this server keeps no metrics"),
            );
            return c.json(body, status);
        }
        const { contentType, body } = await o.metrics.scrape();
        return c.body(body, 200, { "Content-Type": contentType });
    });
}
