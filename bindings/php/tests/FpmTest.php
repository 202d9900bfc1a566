<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use PHPUnit\Framework\TestCase;

/**
 * The binding under a real PHP-FPM pool with the default ffi.enable=preload:
 * preloaded through ffi.preload it works; not preloaded it fails with the message
 * naming the setting. Skipped where php-fpm is not installed.
 */
final class FpmTest extends TestCase
{
    private static function fpmBinary(): ?string
    {
        $env = getenv('PHP_FPM');
        $candidates = is_string($env) && $env !== '' ? [$env] : [
            dirname(PHP_BINARY, 2) . '/sbin/php-fpm' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION,
            '/usr/sbin/php-fpm' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION,
            '/usr/sbin/php-fpm',
        ];
        foreach ($candidates as $c) {
            if (is_file($c) && is_executable($c)) {
                return $c;
            }
        }
        return null;
    }

    /**
     * Starts a pool with the given extra -d settings, makes one request, stops it.
     *
     * @param list<string> $ini
     * @return array<string, mixed>
     */
    private function requestThroughFpm(array $ini, bool $asNobody = false, ?string $package = null, ?array $env = null, array $poolLines = []): array
    {
        $fpm = self::fpmBinary();
        if ($fpm === null) {
            $this->markTestSkipped('php-fpm is not installed');
        }
        $dir = sys_get_temp_dir() . '/jp-php-fpm-' . bin2hex(random_bytes(4));
        mkdir($dir);
        chmod($dir, 0777);
        $port = Sandbox::closedPort();
        file_put_contents($dir . '/fpm.conf', implode("\n", [
            '[global]',
            "error_log = $dir/fpm.log",
            "pid = $dir/fpm.pid",
            'daemonize = no',
            '[test]',
            "listen = 127.0.0.1:$port",
            'pm = static',
            'pm.max_children = 1',
            'catch_workers_output = yes',
            ...$poolLines,
        ]) . "\n");
        $ffiEnable = 'preload';
        foreach ($ini as $setting) {
            if (str_starts_with($setting, 'ffi.enable=')) {
                $ffiEnable = substr($setting, strlen('ffi.enable='));
            }
        }
        $argv = [$fpm, '-F', '-y', $dir . '/fpm.conf', '-d', 'ffi.enable=' . $ffiEnable];
        foreach ($ini as $setting) {
            $argv[] = '-d';
            $argv[] = $setting;
        }
        if (self::isRoot()) {
            if ($asNobody) {
                $argv = array_merge(self::asNobody(), $argv);
            } else {
                $argv[] = '-R';
            }
        }
        $pipes = [];
        $proc = proc_open($argv, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$dir/out", 'w'], 2 => ['file', "$dir/err", 'w']], $pipes, null, $env);
        $this->assertIsResource($proc);
        try {
            $deadline = microtime(true) + 15;
            while (true) {
                $probe = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 1);
                if ($probe !== false) {
                    fclose($probe);
                    break;
                }
                if (!proc_get_status($proc)['running'] || microtime(true) > $deadline) {
                    $this->fail('php-fpm did not start: ' . @file_get_contents("$dir/err") . @file_get_contents("$dir/fpm.log"));
                }
                usleep(50000);
            }
            $script = ($package ?? Env::packageDir()) . '/tests/fixtures/fpm.php';
            $reply = FastCgi::request('127.0.0.1', $port, [
                'GATEWAY_INTERFACE' => 'CGI/1.1',
                'REQUEST_METHOD' => 'GET',
                'SCRIPT_FILENAME' => $script,
                'SCRIPT_NAME' => '/fpm.php',
                'REQUEST_URI' => '/fpm.php',
                'QUERY_STRING' => '',
                'SERVER_PROTOCOL' => 'HTTP/1.1',
                'SERVER_NAME' => 'localhost',
                'SERVER_PORT' => '80',
                'REMOTE_ADDR' => '127.0.0.1',
                'JP_API_BASE' => Sandbox::url(),
                'JP_SITE' => Sandbox::uniqueSite('fpm'),
            ]);
        } finally {
            proc_terminate($proc, 15);
            $deadline = microtime(true) + 5;
            while (proc_get_status($proc)['running'] && microtime(true) < $deadline) {
                usleep(20000);
            }
            if (proc_get_status($proc)['running']) {
                proc_terminate($proc, 9);
            }
            proc_close($proc);
            exec('rm -rf ' . escapeshellarg($dir));
        }
        $parts = explode("\r\n\r\n", $reply['stdout'], 2);
        $body = $parts[1] ?? $parts[0];
        $out = json_decode($body, true);
        $this->assertIsArray($out, $reply['stdout'] . $reply['stderr']);
        $this->assertSame('fpm-fcgi', $out['sapi']);
        $this->assertSame($ffiEnable, $out['ffi_enable']);
        return $out;
    }

    private static function isRoot(): bool
    {
        return function_exists('posix_geteuid') && posix_geteuid() === 0;
    }

    /** @return list<string> the command prefix that runs a program as nobody (we are root) */
    public static function asNobody(): array
    {
        foreach (['/usr/bin/setpriv', '/bin/setpriv'] as $setpriv) {
            if (is_executable($setpriv)) {
                return [$setpriv, '--reuid=65534', '--regid=65534', '--clear-groups'];
            }
        }
        self::markTestSkipped('running as root without setpriv: cannot start PHP as an unprivileged user');
    }

    /** The FPM master starts as root (the usual case): ffi.preload loads the library, opcache.preload the classes. */
    public function testPreloadedAsRootWithFfiPreload(): void
    {
        $header = tempnam(sys_get_temp_dir(), 'jp-ffi-h-');
        file_put_contents($header, \JetpackPartner\Library::preloadHeader(Env::lib()));
        chmod($header, 0644);
        $ini = [
            'ffi.preload=' . $header,
            'opcache.enable=1',
            'opcache.preload=' . Env::packageDir() . '/preload.php',
        ];
        if (self::isRoot()) {
            $ini[] = 'opcache.preload_user=root';
        }
        try {
            $out = $this->requestThroughFpm($ini);
        } finally {
            unlink($header);
        }
        $this->assertTrue($out['preloaded'], json_encode($out));
        $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
        $this->assertTrue($out['reply']['success']);
        $this->assertSame(['code' => 'c1'], $out['grant']);
        $this->assertGreaterThan(0, $out['families']);
    }

    /** The FPM master starts as an ordinary user: opcache.preload alone (FFI::load in preload.php). */
    public function testPreloadedByTheOpcachePreloadScript(): void
    {
        if (self::fpmBinary() === null) {
            $this->markTestSkipped('php-fpm is not installed');
        }
        // A copy of the package the unprivileged user can read, wherever the checkout is.
        $package = Env::packageCopy(true);
        try {
            $env = getenv();
            $env['JETPACK_PARTNER_LIB'] = $package . '/lib/libjetpack_partner.so';
            $out = $this->requestThroughFpm([
                'opcache.enable=1',
                'opcache.preload=' . $package . '/preload.php',
            ], true, $package, $env);
        } finally {
            Env::removeTree($package);
        }
        $this->assertTrue($out['preloaded'], json_encode($out));
        $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
        $this->assertTrue($out['reply']['success']);
        $this->assertSame(['code' => 'c1'], $out['grant']);
        $this->assertGreaterThan(0, $out['families']);
    }

    /** With ffi.enable=true nothing is preloaded: each worker loads the library with FFI::cdef. */
    public function testFfiEnabledNeedsNoPreload(): void
    {
        // FPM clears the workers' environment: the pool passes JETPACK_PARTNER_LIB on.
        $out = $this->requestThroughFpm(['ffi.enable=1'], false, null, null, ['env[JETPACK_PARTNER_LIB] = ' . Env::lib()]);
        $this->assertFalse($out['preloaded']);
        $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
        $this->assertTrue($out['reply']['success']);
        $this->assertSame(['code' => 'c1'], $out['grant']);
        $this->assertGreaterThan(0, $out['families']);
    }

    public function testNotPreloadedNamesTheSetting(): void
    {
        $out = $this->requestThroughFpm([]);
        $this->assertFalse($out['preloaded']);
        $this->assertSame('ffi_disabled', $out['error_code'] ?? null, json_encode($out));
        $this->assertStringContainsString('php.ini setting ffi.enable=preload', $out['message']);
        $this->assertStringContainsString('opcache.preload=', $out['message']);
        $this->assertStringContainsString('ffi.enable=true', $out['message']);
    }
}
