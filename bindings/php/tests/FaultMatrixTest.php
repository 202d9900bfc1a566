<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\ApiException;
use JetpackPartner\Client;
use JetpackPartner\Exception;
use JetpackPartner\TransportException;
use PHPUnit\Framework\TestCase;

/**
 * The sandbox's fault matrix through the PHP binding (FFI backend): for each fault, against the
 * token request, provision or status, the exception class and code the README documents (or
 * success after the documented retries), the attempts the exception reports, the requests the
 * sandbox saw, and no secret or token in anything the exception carries. The expectations are
 * those of the Rust matrix (tests/secrets.rs), with the library's default backoff.
 */
final class FaultMatrixTest extends TestCase
{
    use UsesClient;

    /** Overall time limit of a row's client, seconds, unless the row sets its own. */
    private const TIMEOUT = 10.0;
    /** A slow row's time limit, and the margin allowed on top of it. */
    private const SLOW_TIMEOUT = 2.5;
    private const MARGIN = 3.0;

    private const P = 'provision';
    private const S = 'status';
    private const T = 'token';

    protected function backendOptions(): array
    {
        return ['backend' => 'ffi', 'library' => Env::lib()];
    }

    protected function expectedBackend(): string
    {
        return 'ffi';
    }

    /**
     * One row: the faulted endpoint (token, provision or status), the fault rule, the operation
     * (provision, status), the client's time limit, the expected outcome (null class = success),
     * and the requests the sandbox must have seen at the token endpoint and at the operation's.
     *
     * @param array<string, mixed> $rule
     * @param class-string<Exception>|null $class
     * @param array{int, int} $tokens inclusive range
     * @param array{int, int} $ops inclusive range
     * @return array<string, mixed>
     */
    private static function row(
        string $endpoint,
        array $rule,
        ?string $class,
        ?string $code,
        ?int $http,
        array $tokens,
        array $ops,
        ?float $timeout = null,
        ?string $op = null
    ): array {
        return [
            'endpoint' => $endpoint,
            'rule' => $rule,
            'op' => $op ?? ($endpoint === self::S ? self::S : self::P),
            'timeout' => $timeout,
            'class' => $class,
            'code' => $code,
            'http' => $http,
            'tokens' => $tokens,
            'ops' => $ops,
        ];
    }

    /** @return array<string, array{array<string, mixed>}> */
    public static function faults(): array
    {
        $A = ApiException::class;
        $X = TransportException::class;
        $ok = null;
        $P = self::P;
        $S = self::S;
        $T = self::T;
        $slow = self::SLOW_TIMEOUT;
        $rows = [
            //                                endpoint  fault rule                                                          class code                 http  token   operation
            // The token request: repeated on 429, 502, 503, 504 and broken connections; the
            // operation is never sent without a token.
            'token 500'                   => self::row($T, ['kind' => 'status', 'status' => 500],                      $A, 'token_error',        500, [1, 1], [0, 0]),
            'token 503 once'              => self::row($T, ['kind' => 'status', 'status' => 503],                      $ok, null,                null, [2, 2], [1, 1]),
            'token 429 Retry-After once'  => self::row($T, ['kind' => 'status', 'status' => 429, 'retry_after' => 1],  $ok, null,                null, [2, 2], [1, 1]),
            'token 502 always'            => self::row($T, ['kind' => 'status', 'status' => 502, 'count' => 0],        $A, 'token_error',        502, [3, 3], [0, 0]),
            'token html 502 once'         => self::row($T, ['kind' => 'html', 'status' => 502],                        $ok, null,                null, [2, 2], [1, 1]),
            'token refused'               => self::row($T, ['kind' => 'refuse_token'],                                 $A, 'token_error',        403, [1, 1], [0, 0]),
            'token reset once'            => self::row($T, ['kind' => 'reset'],                                        $ok, null,                null, [2, 2], [1, 1]),
            'token reset always'          => self::row($T, ['kind' => 'reset', 'count' => 0],                          $X, 'transport_error',    null, [3, 3], [0, 0]),
            'token slow headers'          => self::row($T, ['kind' => 'slow_headers', 'delay_ms' => 1000, 'count' => 0], $X, 'timeout',          null, [1, 2], [0, 0], $slow),
            'token invalid JSON'          => self::row($T, ['kind' => 'invalid_json'],                                 $X, 'invalid_response',   200, [1, 1], [0, 0]),
            'token truncated JSON'        => self::row($T, ['kind' => 'truncated_json'],                               $X, 'invalid_response',   200, [1, 1], [0, 0]),
            'token oversized'             => self::row($T, ['kind' => 'oversized'],                                    $X, 'response_too_large', null, [1, 1], [0, 0]),
            // Provision (POST): repeated only when the server said it did not process the request
            // (429, 503 with Retry-After) or refused the token; anything else after sending is
            // outcome_unknown or the reply's own error, never repeated.
            'provision 500'               => self::row($P, ['kind' => 'status', 'status' => 500],                      $X, 'outcome_unknown',    500, [0, 0], [1, 1]),
            'provision 502'               => self::row($P, ['kind' => 'status', 'status' => 502],                      $X, 'outcome_unknown',    502, [0, 0], [1, 1]),
            'provision 503'               => self::row($P, ['kind' => 'status', 'status' => 503],                      $X, 'outcome_unknown',    503, [0, 0], [1, 1]),
            'provision 503 Retry-After once' => self::row($P, ['kind' => 'status', 'status' => 503, 'retry_after' => 1], $ok, null,             null, [0, 0], [2, 2]),
            'provision 429 Retry-After once' => self::row($P, ['kind' => 'status', 'status' => 429, 'retry_after' => 1], $ok, null,             null, [0, 0], [2, 2]),
            'provision 429 Retry-After always' => self::row($P, ['kind' => 'status', 'status' => 429, 'retry_after' => 1, 'count' => 0], $A, 'sandbox_fault', 429, [0, 0], [3, 3]),
            'provision HTML 502'          => self::row($P, ['kind' => 'html', 'status' => 502],                        $X, 'outcome_unknown',    502, [0, 0], [1, 1]),
            'provision HTML 404'          => self::row($P, ['kind' => 'html', 'status' => 404],                        $X, 'invalid_response',   404, [0, 0], [1, 1]),
            'provision token refused once' => self::row($P, ['kind' => 'refuse_token'],                                $ok, null,                null, [1, 1], [2, 2]),
            'provision token refused twice' => self::row($P, ['kind' => 'refuse_token', 'count' => 2],                 $A, 'invalid_token',      403, [1, 1], [2, 2]),
            'provision slow headers'      => self::row($P, ['kind' => 'slow_headers', 'delay_ms' => 1000],             $X, 'outcome_unknown',    null, [0, 0], [1, 1], $slow),
            'provision slow body'         => self::row($P, ['kind' => 'slow_body', 'delay_ms' => 1000],                $X, 'outcome_unknown',    null, [0, 0], [1, 1], $slow),
            'provision reset mid-body'    => self::row($P, ['kind' => 'reset'],                                        $X, 'outcome_unknown',    null, [0, 0], [1, 1]),
            'provision closed unanswered' => self::row($P, ['kind' => 'close'],                                        $X, 'outcome_unknown',    null, [0, 0], [1, 1]),
            'provision invalid JSON'      => self::row($P, ['kind' => 'invalid_json'],                                 $X, 'invalid_response',   200, [0, 0], [1, 1]),
            'provision truncated JSON'    => self::row($P, ['kind' => 'truncated_json'],                               $X, 'invalid_response',   200, [0, 0], [1, 1]),
            'provision oversized'         => self::row($P, ['kind' => 'oversized'],                                    $X, 'response_too_large', null, [0, 0], [1, 1]),
            // Status (GET): safe to repeat on 429, 502, 503, 504 and broken connections.
            'status 500'                  => self::row($S, ['kind' => 'status', 'status' => 500],                      $A, 'sandbox_fault',      500, [0, 0], [1, 1]),
            'status 502 once'             => self::row($S, ['kind' => 'status', 'status' => 502],                      $ok, null,                null, [0, 0], [2, 2]),
            'status 502 always'           => self::row($S, ['kind' => 'status', 'status' => 502, 'count' => 0],        $A, 'sandbox_fault',      502, [0, 0], [3, 3]),
            'status 503 always'           => self::row($S, ['kind' => 'status', 'status' => 503, 'count' => 0],        $A, 'sandbox_fault',      503, [0, 0], [3, 3]),
            'status 429 Retry-After once' => self::row($S, ['kind' => 'status', 'status' => 429, 'retry_after' => 1],  $ok, null,                null, [0, 0], [2, 2]),
            'status HTML 502 always'      => self::row($S, ['kind' => 'html', 'status' => 502, 'count' => 0],          $X, 'invalid_response',   502, [0, 0], [3, 3]),
            'status token refused once'   => self::row($S, ['kind' => 'refuse_token'],                                 $ok, null,                null, [1, 1], [2, 2]),
            'status reset once'           => self::row($S, ['kind' => 'reset'],                                        $ok, null,                null, [0, 0], [2, 2]),
            'status reset always'         => self::row($S, ['kind' => 'reset', 'count' => 0],                          $X, 'transport_error',    null, [0, 0], [3, 3]),
            'status slow headers'         => self::row($S, ['kind' => 'slow_headers', 'delay_ms' => 1000, 'count' => 0], $X, 'timeout',          null, [0, 0], [1, 2], $slow),
            'status slow body'            => self::row($S, ['kind' => 'slow_body', 'delay_ms' => 1000, 'count' => 0],  $X, 'timeout',            null, [0, 0], [1, 2], $slow),
            'status invalid JSON'         => self::row($S, ['kind' => 'invalid_json'],                                 $X, 'invalid_response',   200, [0, 0], [1, 1]),
            'status truncated JSON'       => self::row($S, ['kind' => 'truncated_json'],                               $X, 'invalid_response',   200, [0, 0], [1, 1]),
            'status oversized'            => self::row($S, ['kind' => 'oversized'],                                    $X, 'response_too_large', null, [0, 0], [1, 1]),
        ];
        $out = [];
        foreach ($rows as $name => $row) {
            $out[$name] = [$row];
        }
        return $out;
    }

    /** Rows that need a token of their own so far (see testFault). */
    private static int $ownTokenRows = 0;

    /**
     * @dataProvider faults
     * @param array<string, mixed> $row
     */
    public function testFault(array $row): void
    {
        $site = Sandbox::uniqueSite('matrix');
        $options = [];
        if ($row['timeout'] !== null) {
            $options['timeout'] = $row['timeout'];
        }
        if ($row['endpoint'] === self::T) {
            // Clients with the same settings share their token within the process: a connect
            // time limit of its own gives this row's client a token of its own, so the token
            // request is made (and meets the fault).
            // Whole milliseconds (the library's unit), one value per row: never shared by chance.
            $options['connect_timeout'] = 5 + (++self::$ownTokenRows) / 1000;
        }
        $client = $this->client($options + ['timeout' => self::TIMEOUT]);
        if ($row['endpoint'] !== self::T) {
            // The token and the site exist before the fault.
            $this->assertTrue($client->provision('admin', $site, 'premium')['success']);
        }
        $rule = $row['rule'] + ['endpoint' => $row['endpoint']];
        if ($row['endpoint'] !== self::T) {
            $rule['site'] = substr($site, strlen('https://'));
        }
        Sandbox::control('POST', 'stats/reset');
        Sandbox::fault($rule);

        $started = microtime(true);
        $reply = null;
        $error = null;
        try {
            $reply = $row['op'] === self::S
                ? $client->status($site)
                : $client->provision('admin', $site, 'premium');
        } catch (Exception $e) {
            $error = $e;
        }
        $elapsed = microtime(true) - $started;
        Sandbox::clearFaults();
        $stats = Sandbox::stats();
        $tokenSeen = (int) ($stats['requests']['token'] ?? 0);
        $opSeen = (int) ($stats['requests'][$row['op']] ?? 0);
        $got = $error === null
            ? 'success'
            : sprintf('%s %s http=%s attempts=%d: %s', get_class($error), $error->getErrorCode(), var_export($error->getHttpStatus(), true), $error->getAttempts(), $error->getMessage());
        $context = "got $got; sandbox saw " . json_encode($stats);

        if ($row['class'] === null) {
            $this->assertNull($error, $context);
            $this->assertIsArray($reply);
            if ($row['op'] === self::S) {
                $this->assertArrayHasKey('products', $reply, $context);
            } else {
                $this->assertTrue($reply['success'] ?? null, $context);
            }
        } else {
            $this->assertNotNull($error, $context);
            $this->assertInstanceOf($row['class'], $error, $context);
            $this->assertSame($row['code'], $error->getErrorCode(), $context);
            $this->assertSame($row['http'], $error->getHttpStatus(), $context);
            // The attempts the exception reports are the operation requests the sandbox saw
            // (token requests are not counted: 0 when the operation was never sent).
            $this->assertSame($opSeen, $error->getAttempts(), $context);
            if ($error->getErrorCode() === 'outcome_unknown') {
                $this->assertStringContainsString("check the site's status", $error->getMessage(), $context);
            }
            $this->assertNoSecret($error);
        }
        $this->assertGreaterThanOrEqual($row['tokens'][0], $tokenSeen, "token requests; $context");
        $this->assertLessThanOrEqual($row['tokens'][1], $tokenSeen, "token requests; $context");
        $this->assertGreaterThanOrEqual($row['ops'][0], $opSeen, "{$row['op']} requests; $context");
        $this->assertLessThanOrEqual($row['ops'][1], $opSeen, "{$row['op']} requests; $context");
        if ($row['timeout'] !== null) {
            $this->assertLessThan($row['timeout'] + self::MARGIN, $elapsed, "returned after {$elapsed}s; $context");
        }
    }

    /** Nothing listens on the port: the token request never reaches a server. */
    public function testRefusedConnection(): void
    {
        $port = Sandbox::closedPort();
        Sandbox::control('POST', 'stats/reset');
        foreach (['provision', 'status'] as $op) {
            $client = $this->client(['api_base' => "http://127.0.0.1:$port"]);
            $e = $this->thrown(TransportException::class, fn () => $op === 'status'
                ? $client->status('https://refused.example')
                : $client->provision('admin', 'https://refused.example', 'premium'));
            $this->assertSame('transport_error', $e->getErrorCode(), $op);
            $this->assertNull($e->getHttpStatus(), $op);
            $this->assertStringContainsString('nothing was sent', $e->getMessage(), $op);
            $this->assertNoSecret($e);
        }
        $this->assertSame(0, Sandbox::stats()['total'] ?? null);
    }

    /**
     * The server goes away after the token was obtained: a provision whose connection is refused
     * never reached it, so it is repeated up to max_attempts (3), then transport_error saying that
     * nothing was sent. A sandbox of its own, stopped in the middle.
     */
    public function testRefusedConnectionAfterTheTokenIsRetried(): void
    {
        [$proc, $url, $log] = self::startOwnSandbox();
        try {
            $client = $this->client(['api_base' => $url]);
            $this->assertTrue($client->provision('admin', Sandbox::uniqueSite('before'), 'premium')['success']);
        } finally {
            self::stopOwnSandbox($proc, $log);
        }
        $started = microtime(true);
        $e = $this->thrown(TransportException::class, fn () => $client->provision('admin', Sandbox::uniqueSite('after'), 'premium'));
        $this->assertSame('transport_error', $e->getErrorCode());
        $this->assertNull($e->getHttpStatus());
        $this->assertSame(3, $e->getAttempts());
        $this->assertStringContainsString('nothing was sent', $e->getMessage());
        $this->assertLessThan(self::TIMEOUT, microtime(true) - $started);
        $this->assertNoSecret($e);
    }

    /** The partner secret, a bearer header or anything shaped like a sandbox token (64 letters and digits). */
    private function assertNoSecret(Exception $e): void
    {
        $texts = [
            $e->getMessage(),
            (string) $e,
            json_encode($e->getErrorBody()),
            print_r($e->getErrorBody(), true),
        ];
        foreach ($texts as $text) {
            $this->assertStringNotContainsString(Sandbox::PARTNER_SECRET, $text);
            $this->assertStringNotContainsString('Bearer ', $text);
            $this->assertDoesNotMatchRegularExpression('/(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])/', $text);
        }
    }

    /**
     * A second sandbox process (the demo partner), for a test that stops it.
     *
     * @return array{resource, string, string}
     */
    private static function startOwnSandbox(): array
    {
        $log = (string) tempnam(sys_get_temp_dir(), 'jp-php-matrix-');
        $argv = [Env::sandbox(), '--listen', '127.0.0.1:0', '--partner', Sandbox::PARTNER_ID . ':' . Sandbox::PARTNER_SECRET];
        $pipes = [];
        $proc = proc_open($argv, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        if (!is_resource($proc)) {
            throw new \RuntimeException('could not start the sandbox');
        }
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            $out = (string) file_get_contents($log);
            if (str_contains($out, "\n")) {
                return [$proc, trim((string) strtok($out, "\n")), $log];
            }
            usleep(20000);
        }
        self::stopOwnSandbox($proc, $log);
        throw new \RuntimeException('the second sandbox did not print its URL');
    }

    /** @param resource $proc */
    private static function stopOwnSandbox($proc, string $log): void
    {
        proc_terminate($proc, 15);
        $deadline = microtime(true) + 5;
        while (proc_get_status($proc)['running'] && microtime(true) < $deadline) {
            usleep(20000);
        }
        if (proc_get_status($proc)['running']) {
            proc_terminate($proc, 9);
        }
        proc_close($proc);
        @unlink($log);
    }
}
