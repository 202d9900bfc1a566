/*
 * Declarations of include/jetpack_partner.h for PHP's FFI::cdef() and FFI::load().
 * FFI cannot read #include, #if or macros: this is the header with those removed.
 * Constants (JP_OK, ...) live in JetpackPartner\Library. Kept in sync with the C
 * header by tests/HeaderSyncTest.php.
 */
typedef uint32_t jp_code;
typedef struct jp_client jp_client;
typedef struct jp_client_builder jp_client_builder;
typedef struct jp_response jp_response;
typedef struct jp_batch jp_batch;
typedef bool (*jp_batch_fn)(void *user_data, const char *result_json);
typedef void (*jp_log_fn)(uint32_t level, const char *line, void *user_data);

const char *jp_version(void);

jp_code jp_client_new(const char *partner_id, const char *partner_secret, jp_client **out);
jp_code jp_client_builder_new(const char *partner_id, const char *partner_secret, jp_client_builder **out);
jp_code jp_client_builder_set_api_base(jp_client_builder *builder, const char *url);
jp_code jp_client_builder_set_timeout_ms(jp_client_builder *builder, uint64_t ms);
jp_code jp_client_builder_set_connect_timeout_ms(jp_client_builder *builder, uint64_t ms);
jp_code jp_client_builder_set_idle_timeout_ms(jp_client_builder *builder, uint64_t ms);
jp_code jp_client_builder_set_proxy(jp_client_builder *builder, const char *url);
jp_code jp_client_builder_set_ca_bundle(jp_client_builder *builder, const char *pem_path);
jp_code jp_client_builder_set_token_cache_dir(jp_client_builder *builder, const char *dir);
jp_code jp_client_builder_set_max_attempts(jp_client_builder *builder, uint32_t attempts);
jp_code jp_client_builder_set_max_response_bytes(jp_client_builder *builder, uint64_t bytes);
jp_code jp_client_builder_build(const jp_client_builder *builder, jp_client **out);
void jp_client_builder_free(jp_client_builder *builder);
jp_code jp_client_warm(const jp_client *client);
jp_code jp_client_warm_in_background(const jp_client *client);
void jp_client_free(jp_client *client);
const char *jp_last_error_message(void);
jp_code jp_set_log_callback(jp_log_fn callback, void *user_data);

jp_code jp_provision(const jp_client *client, const char *local_user, const char *siteurl, const char *plan, const char *options_json, jp_response **out);
jp_code jp_cancel(const jp_client *client, const char *site, const char *options_json, jp_response **out);
jp_code jp_partner_key_new(const jp_client *client, const char *name, const char *options_json, jp_response **out);
jp_code jp_status(const jp_client *client, const char *site, jp_response **out);

jp_code jp_request(const jp_client *client, const char *request_json, jp_response **out);
jp_code jp_status_v12(const jp_client *client, const char *site, jp_response **out);
jp_code jp_upgrade_paths(const jp_client *client, const char *site, jp_response **out);
jp_code jp_errors(const jp_client *client, bool verbose, jp_response **out);
jp_code jp_partner_keys_verify(const jp_client *client, jp_response **out);
jp_code jp_activations(const jp_client *client, const char *user_token, const char *partner_id, const char *key_id, const char *options_json, jp_response **out);
jp_code jp_activations_summary(const jp_client *client, const char *user_token, const char *options_json, jp_response **out);
jp_code jp_invoices(const jp_client *client, const char *user_token, const char *partner_id, const char *key_id, jp_response **out);
jp_code jp_upcoming_invoice(const jp_client *client, const char *user_token, const char *partner_id, const char *key_id, jp_response **out);
jp_code jp_partner_details(const jp_client *client, const char *user_token, jp_response **out);
jp_code jp_oauth_authorize_url(const jp_client *client, const char *options_json, char **url_out, char **state_out);
jp_code jp_oauth_parse_redirect(const char *redirect_url, const char *expected_state, jp_response **out);
jp_code jp_oauth_exchange_code(const jp_client *client, const char *code, const char *redirect_uri, jp_response **out);
jp_code jp_oauth_password_grant(const jp_client *client, const char *username, const char *password, jp_response **out);
jp_code jp_oauth_token_info(const jp_client *client, const char *token, jp_response **out);
jp_code jp_license_issue(const jp_client *client, const char *product, jp_response **out);
jp_code jp_license_status(const jp_client *client, const char *license_key, jp_response **out);
jp_code jp_license_revoke(const jp_client *client, const char *license_key, jp_response **out);
jp_code jp_license_attach(const jp_client *client, const char *license_key, const char *site, jp_response **out);
jp_code jp_license_detach(const jp_client *client, const char *license_key, const char *options_json, jp_response **out);
jp_code jp_product_families(const jp_client *client, jp_response **out);
jp_code jp_licensing_partner(const jp_client *client, const char *user_token, jp_response **out);
jp_code jp_site_connection(const jp_client *client, const char *url, const char *local_user, jp_response **out);

jp_code jp_response_code(const jp_response *r);
bool jp_response_ok(const jp_response *r);
const char *jp_response_json(const jp_response *r);
const char *jp_response_error_code(const jp_response *r);
const char *jp_response_error_message(const jp_response *r);
uint16_t jp_response_http_status(const jp_response *r);
uint32_t jp_response_attempts(const jp_response *r);
void jp_response_free(jp_response *r);

void jp_string_free(char *s);
jp_code jp_site_identifier(const char *site, char **out);

jp_code jp_batch_new(const jp_client *client, jp_batch **out);
jp_code jp_batch_set_concurrency(jp_batch *batch, uint32_t concurrency);
jp_code jp_batch_set_journal(jp_batch *batch, const char *path);
jp_code jp_batch_add_provision(jp_batch *batch, const char *key, const char *local_user, const char *siteurl, const char *plan, const char *options_json);
jp_code jp_batch_add_cancel(jp_batch *batch, const char *key, const char *site, const char *plan, const char *options_json);
jp_code jp_batch_start(jp_batch *batch);
jp_code jp_batch_next(jp_batch *batch, uint32_t wait_ms, char **out);
bool jp_batch_finished(const jp_batch *batch);
jp_code jp_batch_run(jp_batch *batch, jp_batch_fn on_result, void *user_data);
void jp_batch_free(jp_batch *batch);
jp_code jp_reconcile(const jp_client *client, const char *expected_json, const char *options_json, char **out);
