<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

/**
 * The local emulator the tests talk to: one jetpack-partner-sandbox process per test
 * run, listening on 127.0.0.1 with a port the system picks, stopped at exit.
 */
final class Sandbox
{
    public const PARTNER_ID = '12345';
    public const PARTNER_SECRET = 'sandbox-demo-secret';
    /** Root key ID of the demo partner in the reporting paths (the first partner given). */
    public const KEY_ID = '1';
    /** A second partner: another OAuth application. */
    public const OTHER_PARTNER_ID = '67890';
    public const OTHER_PARTNER_SECRET = 'sandbox-other-secret';
    /** Password of every partner's WordPress.com user (login partner-<partner ID>). */
    public const USER_PASSWORD = 'sandbox-demo-password';

    /** @var resource|null */
    private static $proc = null;
    private static ?string $url = null;
    private static ?string $log = null;

    public static function start(string $binary): string
    {
        if (self::$url !== null) {
            return self::$url;
        }
        if (!is_file($binary) || !is_executable($binary)) {
            throw new \RuntimeException("sandbox binary not found: $binary (build it with cargo build --release --workspace, or set JETPACK_PARTNER_SANDBOX)");
        }
        $log = tempnam(sys_get_temp_dir(), 'jp-php-sandbox-');
        self::$log = $log;
        $pipes = [];
        $argv = [
            $binary, '--listen', '127.0.0.1:0',
            '--partner', self::PARTNER_ID . ':' . self::PARTNER_SECRET,
            '--partner', self::OTHER_PARTNER_ID . ':' . self::OTHER_PARTNER_SECRET,
        ];
        if (is_executable('/usr/bin/setpriv')) {
            // Also stopped if this PHP process dies without running its shutdown functions.
            $argv = array_merge(['/usr/bin/setpriv', '--pdeathsig', 'TERM', '--'], $argv);
        }
        $proc = proc_open(
            $argv,
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log . '.err', 'w']],
            $pipes
        );
        if (!is_resource($proc)) {
            throw new \RuntimeException("could not start $binary");
        }
        self::$proc = $proc;
        register_shutdown_function([self::class, 'stop']);
        $deadline = microtime(true) + 30;
        while (microtime(true) < $deadline) {
            $out = (string) @file_get_contents($log);
            if (str_contains($out, "\n")) {
                $line = trim(strtok($out, "\n"));
                if (preg_match('~^http://127\.0\.0\.1:\d+$~', $line) !== 1) {
                    throw new \RuntimeException("unexpected first line from the sandbox: $line");
                }
                return self::$url = $line;
            }
            if (!proc_get_status($proc)['running']) {
                throw new \RuntimeException('the sandbox exited: ' . @file_get_contents($log . '.err'));
            }
            usleep(20000);
        }
        throw new \RuntimeException('the sandbox did not print its URL within 30 s');
    }

    public static function stop(): void
    {
        if (self::$proc !== null) {
            proc_terminate(self::$proc, 15);
            $deadline = microtime(true) + 5;
            while (proc_get_status(self::$proc)['running'] && microtime(true) < $deadline) {
                usleep(20000);
            }
            if (proc_get_status(self::$proc)['running']) {
                proc_terminate(self::$proc, 9);
            }
            proc_close(self::$proc);
            self::$proc = null;
        }
        if (self::$log !== null) {
            @unlink(self::$log);
            @unlink(self::$log . '.err');
            self::$log = null;
        }
        self::$url = null;
    }

    public static function url(): string
    {
        if (self::$url === null) {
            throw new \RuntimeException('the sandbox is not running');
        }
        return self::$url;
    }

    /**
     * Calls a control endpoint under /__sandbox/.
     *
     * @param array<string, mixed>|null $body
     * @return array<mixed>
     */
    public static function control(string $method, string $path, ?array $body = null): array
    {
        $ctx = stream_context_create(['http' => [
            'method' => $method,
            'header' => "Content-Type: application/json\r\n",
            'content' => $body === null ? '' : json_encode($body),
            'ignore_errors' => true,
            'timeout' => 10,
        ]]);
        $reply = @file_get_contents(self::url() . '/__sandbox/' . $path, false, $ctx);
        if ($reply === false) {
            throw new \RuntimeException("sandbox control $method $path failed");
        }
        $data = json_decode($reply, true);
        if (!is_array($data)) {
            throw new \RuntimeException("sandbox control $method $path: not JSON: $reply");
        }
        return $data;
    }

    /** @param array<string, mixed> $fault */
    public static function fault(array $fault): void
    {
        $reply = self::control('POST', 'faults', $fault);
        if (($reply['ok'] ?? false) !== true) {
            throw new \RuntimeException('fault refused: ' . json_encode($reply));
        }
    }

    public static function clearFaults(): void
    {
        self::control('DELETE', 'faults');
    }

    /** @return array<mixed> */
    public static function stats(): array
    {
        return self::control('GET', 'stats');
    }

    public static function connectSite(string $siteUrl): void
    {
        self::control('POST', 'sites/connect', ['siteurl' => $siteUrl]);
    }

    /**
     * A user token of a partner's WordPress.com user (password grant), fetched without
     * the binding, so tests of the binding's own OAuth calls do not depend on it.
     */
    public static function userToken(string $partnerId = self::PARTNER_ID, string $secret = self::PARTNER_SECRET): string
    {
        $reply = self::http('POST', '/oauth2/token', http_build_query([
            'grant_type' => 'password',
            'client_id' => $partnerId,
            'client_secret' => $secret,
            'username' => 'partner-' . $partnerId,
            'password' => self::USER_PASSWORD,
        ]));
        $data = json_decode($reply['body'], true);
        if ($reply['status'] !== 200 || !is_string($data['access_token'] ?? null)) {
            throw new \RuntimeException('password grant failed: ' . $reply['status']);
        }
        return $data['access_token'];
    }

    /**
     * A request to the sandbox that does not follow redirects.
     *
     * @return array{status: int, headers: array<string, string>, body: string}
     */
    public static function http(string $method, string $pathOrUrl, string $form = '', string $headers = ''): array
    {
        $url = str_starts_with($pathOrUrl, 'http') ? $pathOrUrl : self::url() . $pathOrUrl;
        $ctx = stream_context_create(['http' => [
            'method' => $method,
            'header' => ($form === '' ? '' : "Content-Type: application/x-www-form-urlencoded\r\n") . $headers,
            'content' => $form,
            'ignore_errors' => true,
            'follow_location' => 0,
            'timeout' => 10,
        ]]);
        $body = @file_get_contents($url, false, $ctx);
        $lines = $http_response_header ?? [];
        if ($body === false || $lines === []) {
            throw new \RuntimeException("$method $pathOrUrl failed");
        }
        preg_match('~^HTTP/\S+\s+(\d+)~', $lines[0], $m);
        $headers = [];
        foreach (array_slice($lines, 1) as $line) {
            $parts = explode(':', $line, 2);
            if (count($parts) === 2) {
                $headers[strtolower(trim($parts[0]))] = trim($parts[1]);
            }
        }
        return ['status' => (int) ($m[1] ?? 0), 'headers' => $headers, 'body' => $body];
    }

    /** A port on 127.0.0.1 nothing listens on (bound, then closed). */
    public static function closedPort(): int
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if ($server === false) {
            throw new \RuntimeException("could not bind: $errstr");
        }
        $name = stream_socket_get_name($server, false);
        fclose($server);
        return (int) substr((string) $name, strrpos((string) $name, ':') + 1);
    }

    /** A site URL no other test uses. */
    public static function uniqueSite(string $label = 'site'): string
    {
        static $n = 0;
        $n++;
        return sprintf('https://%s-%d-%s.example.com', $label, $n, bin2hex(random_bytes(4)));
    }
}
