/*
 * Provision a Jetpack plan from C.
 *
 *   provision LOCAL_USER SITE_URL [PLAN]
 *
 * The partner credentials come from the environment, so the secret is not in the process list:
 *   JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET, and optionally JETPACK_PARTNER_API_BASE
 *   (e.g. http://127.0.0.1:PORT of a local jetpack-partner-sandbox).
 *
 * Build: cc provision.c $(pkg-config --cflags --libs jetpack-partner) -o provision
 * Prints the server's JSON reply and exits 0; on failure prints the error and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "jetpack_partner.h"

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s LOCAL_USER SITE_URL [PLAN]\n", argv[0]);
        return 2;
    }
    const char *partner_id = getenv("JETPACK_PARTNER_ID");
    const char *partner_secret = getenv("JETPACK_PARTNER_SECRET");
    const char *api_base = getenv("JETPACK_PARTNER_API_BASE");
    if (partner_id == NULL || partner_secret == NULL) {
        fprintf(stderr, "set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET\n");
        return 2;
    }

    /* The settings go to a builder, which makes the client: one per process, which any number of
       threads may use at once (a client never changes). The builder is freed once it has served. */
    jp_client_builder *builder = NULL;
    jp_client *client = NULL;
    if (jp_client_builder_new(partner_id, partner_secret, &builder) != JP_OK ||
        (api_base != NULL && jp_client_builder_set_api_base(builder, api_base) != JP_OK) ||
        jp_client_builder_build(builder, &client) != JP_OK) {
        fprintf(stderr, "%s\n", jp_last_error_message());
        jp_client_builder_free(builder);
        return 1;
    }
    jp_client_builder_free(builder);

    /* Every call hands back a response, success or not: read it, then free it. */
    jp_response *response = NULL;
    const char *plan = argc == 4 ? argv[3] : NULL; /* NULL: the server's default (free) */
    jp_code code = jp_provision(client, argv[1], argv[2], plan, NULL, &response);
    int status = 0;
    if (code == JP_OK) {
        printf("%s\n", jp_response_json(response));
    } else {
        fprintf(stderr, "provision failed: %s: %s (HTTP %u)\n", jp_response_error_code(response),
                jp_response_error_message(response), (unsigned)jp_response_http_status(response));
        if (code == JP_OUTCOME_UNKNOWN) {
            fprintf(stderr, "check the site's status before trying again\n");
        }
        status = 1;
    }
    jp_response_free(response);
    jp_client_free(client);
    return status;
}
