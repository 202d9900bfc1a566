<?php
// Provisioning with PHP's curl extension, the two ways panels write it, shared by
// the CLI benchmark (bench.php) and the panel page (panel/curl.php).

declare(strict_types=1);

namespace JetpackPartnerBench;

const USER = 'admin';
const SITE = 'https://example.com/';

function plan(): string
{
    $plan = getenv('JP_BENCH_PLAN');
    return is_string($plan) && $plan !== '' ? $plan : 'premium';
}

function partner_id(): string
{
    $v = getenv('JP_BENCH_PARTNER_ID');
    return is_string($v) && $v !== '' ? $v : '12345';
}

function partner_secret(): string
{
    $v = getenv('JP_BENCH_PARTNER_SECRET');
    return is_string($v) && $v !== '' ? $v : 'sandbox-demo-secret';
}

/** POST a form on $ch (already pointed at nothing in particular) and decode the JSON reply. */
function post_form($ch, string $url, array $fields, array $headers = []): array
{
    curl_setopt_array($ch, [
        CURLOPT_URL => $url,
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => http_build_query($fields),
        CURLOPT_HTTPHEADER => $headers,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 60,
        CURLOPT_CONNECTTIMEOUT => 10,
    ]);
    $body = curl_exec($ch);
    if ($body === false) {
        throw new \RuntimeException('curl: ' . curl_error($ch));
    }
    $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    $json = json_decode($body, true);
    if (!is_array($json)) {
        throw new \RuntimeException("HTTP $status: not JSON: " . substr($body, 0, 200));
    }
    if ($status !== 200) {
        throw new \RuntimeException("HTTP $status: " . substr($body, 0, 200));
    }
    return $json;
}

function fetch_token($ch, string $base): string
{
    $reply = post_form($ch, $base . '/oauth2/token', [
        'client_id' => partner_id(),
        'client_secret' => partner_secret(),
        'grant_type' => 'client_credentials',
        'scope' => 'jetpack-partner',
    ]);
    if (!isset($reply['access_token']) || !is_string($reply['access_token'])) {
        throw new \RuntimeException('no access_token in the token reply');
    }
    return $reply['access_token'];
}

function provision_with($ch, string $base, string $token): array
{
    return post_form($ch, $base . '/rest/v1.3/jpphp/provision', [
        'local_user' => USER,
        'siteurl' => SITE,
        'plan' => plan(),
    ], ['Authorization: Bearer ' . $token]);
}

/** curl written well: one handle kept (its connection stays open), token asked once. */
final class CurlReused
{
    private $ch;
    private ?string $token = null;

    public function __construct(private string $base)
    {
        $this->ch = curl_init();
    }

    public function provision(): array
    {
        if ($this->token === null) {
            $this->token = fetch_token($this->ch, $this->base);
        }
        return provision_with($this->ch, $this->base, $this->token);
    }
}

/** curl written the common way: a new handle and a new token for every provision. */
function provision_curl_common(string $base): array
{
    $ch = curl_init();
    $token = fetch_token($ch, $base);
    curl_close($ch);
    $ch = curl_init();
    $reply = provision_with($ch, $base, $token);
    curl_close($ch);
    return $reply;
}

/** The old script route: a shell running curl and jq, its JSON parsed by PHP. */
function provision_script(string $base, string $script): array
{
    $cmd = 'JETPACK_PARTNER_API_BASE=' . escapeshellarg($base) . ' bash ' . escapeshellarg($script)
        . ' --partner_id=' . escapeshellarg(partner_id())
        . ' --partner_secret=' . escapeshellarg(partner_secret())
        . ' --user=' . escapeshellarg(USER)
        . ' --plan=' . escapeshellarg(plan())
        . ' --url=' . escapeshellarg(SITE);
    $out = [];
    $rc = 0;
    exec($cmd, $out, $rc);
    $json = json_decode(implode("\n", $out), true);
    if ($rc !== 0 || !is_array($json)) {
        throw new \RuntimeException("script exit $rc: " . implode("\n", $out));
    }
    return $json;
}
