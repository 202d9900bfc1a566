<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\Client;
use JetpackPartner\Exception;
use JetpackPartner\Library;
use PHPUnit\Framework\TestCase;

/**
 * How the binding finds and loads the library, in fresh PHP processes: the lookup
 * order, FFI disabled, FFI preloaded (PHP-FPM), FFI absent (the CLI fallback).
 */
final class LoadingTest extends TestCase
{
    private const RUN = __DIR__ . '/fixtures/run.php';

    /**
     * @param array<string, mixed> $spec
     * @param list<string> $phpArgs
     * @param array<string, string|false> $env
     * @return array<string, mixed>
     */
    private function runScript(array $spec, array $phpArgs = [], array $env = [], array $prefix = []): array
    {
        $r = Env::php(self::RUN, $phpArgs, $env, [json_encode($spec, JSON_UNESCAPED_SLASHES)], $prefix);
        $this->assertSame(0, $r['status'], $r['stdout'] . $r['stderr']);
        $out = json_decode(trim($r['stdout']), true);
        $this->assertIsArray($out, $r['stdout'] . $r['stderr']);
        return $out;
    }

    public function testLibraryOptionWins(): void
    {
        $out = $this->runScript(
            ['options' => ['library' => Env::lib()], 'call' => ['provision', 'admin', Sandbox::uniqueSite()]],
            [],
            ['JETPACK_PARTNER_LIB' => '/nonexistent/env/libjetpack_partner.so']
        );
        $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
        $this->assertTrue($out['reply']['success']);
    }

    public function testEnvironmentVariableIsUsed(): void
    {
        $out = $this->runScript(['call' => ['provision', 'admin', Sandbox::uniqueSite()]], [], ['JETPACK_PARTNER_LIB' => Env::lib()]);
        $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
        $this->assertTrue($out['reply']['success']);
    }

    public function testExplicitPathThatDoesNotExistIsReported(): void
    {
        $out = $this->runScript(['options' => ['library' => '/nonexistent/x/libjetpack_partner.so']]);
        $this->assertSame(Exception::class, $out['exception']);
        $this->assertSame('library_not_found', $out['error_code']);
        $this->assertStringContainsString('/nonexistent/x/libjetpack_partner.so (not found)', $out['message']);
    }

    public function testNotAnElfFileIsReported(): void
    {
        $bogus = tempnam(sys_get_temp_dir(), 'jp-not-a-lib-');
        file_put_contents($bogus, 'not a shared library');
        try {
            $out = $this->runScript(['options' => ['library' => $bogus]]);
            $this->assertSame('library_not_found', $out['error_code']);
            $this->assertStringContainsString($bogus . ' (', $out['message']);
        } finally {
            unlink($bogus);
        }
    }

    public function testPackageCopyIsFoundWithoutConfiguration(): void
    {
        $dir = Env::packageCopy(true);
        try {
            $out = $this->runScript(
                ['autoload' => $dir . '/autoload.php', 'call' => ['provision', 'admin', Sandbox::uniqueSite()]],
                [],
                ['JETPACK_PARTNER_LIB' => false]
            );
            $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
            $this->assertTrue($out['reply']['success']);
        } finally {
            Env::removeTree($dir);
        }
    }

    public function testBundledPackageNeedsNoConfiguration(): void
    {
        $dir = Env::packageCopy(false);
        try {
            exec('bash ' . escapeshellarg($dir . '/bundle.sh') . ' 2>&1', $output, $status);
            $this->assertSame(0, $status, implode("\n", $output));
            $this->assertFileExists($dir . '/lib/libjetpack_partner.so');
            $this->assertFileExists($dir . '/bin/jetpack-partner');
            $env = ['JETPACK_PARTNER_LIB' => false, 'JETPACK_PARTNER_CLI' => false, 'PATH' => '/usr/bin:/bin'];
            $spec = ['autoload' => $dir . '/autoload.php', 'call' => ['provision', 'admin', Sandbox::uniqueSite('bundled'), 'premium']];
            // With FFI: the bundled library.
            $out = $this->runScript($spec, [], $env);
            $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
            $this->assertTrue($out['reply']['success']);
            // Without FFI: the bundled tool.
            $spec['call'][2] = Sandbox::uniqueSite('bundled');
            $out = $this->runScript($spec, ['-n'], $env);
            $this->assertSame('cli', $out['backend'] ?? null, json_encode($out));
            $this->assertTrue($out['reply']['success']);
        } finally {
            Env::removeTree($dir);
        }
    }

    public function testFailureListsEveryPathTried(): void
    {
        $dir = Env::packageCopy(false);
        try {
            $out = $this->runScript(
                ['autoload' => $dir . '/autoload.php'],
                [],
                ['JETPACK_PARTNER_LIB' => false, 'LD_LIBRARY_PATH' => false]
            );
            $this->assertSame('library_not_found', $out['error_code'] ?? null, json_encode($out));
            $this->assertStringContainsString($dir . '/lib/libjetpack_partner.so (not found)', $out['message']);
            $this->assertStringContainsString($dir . '/lib/libjetpack_partner.so.0 (not found)', $out['message']);
            $this->assertStringContainsString('libjetpack_partner.so.0 (', $out['message']);
            $this->assertMatchesRegularExpression('/; libjetpack_partner\.so \(/', $out['message']);
            $this->assertStringContainsString('JETPACK_PARTNER_LIB', $out['message']);
        } finally {
            Env::removeTree($dir);
        }
    }

    public function testFfiDisabledNamesTheSetting(): void
    {
        $out = $this->runScript(['options' => ['library' => Env::lib()]], ['-d', 'ffi.enable=0']);
        $this->assertSame(Exception::class, $out['exception'] ?? null, json_encode($out));
        $this->assertSame('ffi_disabled', $out['error_code']);
        $this->assertStringContainsString('php.ini setting ffi.enable=0', $out['message']);
        $this->assertStringContainsString('ffi.enable=true', $out['message']);
        $this->assertStringContainsString('opcache.preload=', $out['message']);
    }

    public function testOpcachePreloadScriptRegistersTheScope(): void
    {
        if (!extension_loaded('Zend OPcache')) {
            $this->markTestSkipped('needs the opcache extension (php-opcache)');
        }
        // As root, opcache needs opcache.preload_user and PHP then refuses FFI::load():
        // run this PHP as an unprivileged user (like a php-fpm master that is not root),
        // from a copy of the package that user can read.
        $prefix = function_exists('posix_geteuid') && posix_geteuid() === 0 ? FpmTest::asNobody() : [];
        $dir = Env::packageCopy(true);
        try {
            $args = [
                '-d', 'ffi.enable=preload',
                '-d', 'opcache.enable=1',
                '-d', 'opcache.enable_cli=1',
                '-d', 'opcache.preload=' . $dir . '/preload.php',
            ];
            // At run time JETPACK_PARTNER_LIB points nowhere: only the preloaded scope can work.
            $r = Env::php($dir . '/tests/fixtures/run.php', $args, ['JETPACK_PARTNER_LIB' => $dir . '/lib/libjetpack_partner.so'], [json_encode([
                'call' => ['provision', 'admin', Sandbox::uniqueSite('preload')],
                'env' => ['JETPACK_PARTNER_LIB' => '/nonexistent/libjetpack_partner.so'],
            ], JSON_UNESCAPED_SLASHES)], $prefix);
        } finally {
            Env::removeTree($dir);
        }
        $this->assertSame(0, $r['status'], $r['stdout'] . $r['stderr']);
        $out = json_decode(trim($r['stdout']), true);
        $this->assertIsArray($out, $r['stdout'] . $r['stderr']);
        $this->assertTrue($out['preloaded'], json_encode($out));
        $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
        $this->assertTrue($out['reply']['success']);
    }

    public function testOpcachePreloadAsRootExplainsFfiPreload(): void
    {
        if (!extension_loaded('Zend OPcache') || !function_exists('posix_geteuid') || posix_geteuid() !== 0) {
            $this->markTestSkipped('needs root and the opcache extension');
        }
        $r = Env::php(self::RUN, [
            '-d', 'ffi.enable=preload',
            '-d', 'opcache.enable=1',
            '-d', 'opcache.enable_cli=1',
            '-d', 'opcache.preload=' . Env::packageDir() . '/preload.php',
            '-d', 'opcache.preload_user=root',
        ], [], ['{}']);
        $this->assertNotSame(0, $r['status']);
        $this->assertStringContainsString('ffi.preload=', $r['stdout'] . $r['stderr']);
    }

    public function testFfiPreloadHeaderRegistersTheScope(): void
    {
        $header = tempnam(sys_get_temp_dir(), 'jp-ffi-h-');
        $r = Env::php(Env::packageDir() . '/ffi-preload-header.php', [], [], ['--library=' . Env::lib()]);
        $this->assertSame(0, $r['status'], $r['stderr']);
        $this->assertStringStartsWith("#define FFI_SCOPE \"JETPACK_PARTNER\"\n#define FFI_LIB \"", $r['stdout']);
        file_put_contents($header, $r['stdout']);
        try {
            $out = $this->runScript(
                [
                    'call' => ['provision', 'admin', Sandbox::uniqueSite('ffipreload')],
                    'env' => ['JETPACK_PARTNER_LIB' => '/nonexistent/libjetpack_partner.so'],
                ],
                ['-d', 'ffi.enable=preload', '-d', 'ffi.preload=' . $header]
            );
        } finally {
            unlink($header);
        }
        $this->assertTrue($out['preloaded'], json_encode($out));
        $this->assertSame('ffi', $out['backend'] ?? null, json_encode($out));
        $this->assertTrue($out['reply']['success']);
    }

    public function testWithoutTheFfiExtensionTheToolIsUsed(): void
    {
        // php -n loads no extension from php.ini, so FFI is absent (it is a shared extension).
        $out = $this->runScript(
            ['call' => ['provision', 'admin', Sandbox::uniqueSite('noffi'), 'premium']],
            ['-n'],
            ['JETPACK_PARTNER_CLI' => Env::cli()]
        );
        $this->assertFalse($out['ffi_loaded']);
        $this->assertSame('cli', $out['backend'] ?? null, json_encode($out));
        $this->assertTrue($out['reply']['success']);

        $out = $this->runScript(['call' => ['provision', 'admin', Sandbox::uniqueSite('noffi'), 'no-such-plan']], ['-n']);
        $this->assertSame(\JetpackPartner\ApiException::class, $out['exception'] ?? null, json_encode($out));
        $this->assertSame('invalid_plan', $out['error_code']);
    }

    public function testWithoutFfiAndWithoutProcOpenIsAClearError(): void
    {
        $out = $this->runScript([], ['-n', '-d', 'disable_functions=proc_open']);
        $this->assertSame('cli_failed', $out['error_code'] ?? null, json_encode($out));
        $this->assertStringContainsString('disable_functions', $out['message']);
    }

    public function testForcingFfiWithoutTheExtensionIsAClearError(): void
    {
        $out = $this->runScript(['options' => ['backend' => 'ffi']], ['-n']);
        $this->assertSame('ffi_unavailable', $out['error_code'] ?? null, json_encode($out));
    }

    public function testIncompatibleLibraryVersionIsRefused(): void
    {
        $cc = null;
        foreach (['/usr/bin/cc', '/usr/bin/gcc', '/usr/bin/clang'] as $c) {
            if (is_executable($c)) {
                $cc = $c;
                break;
            }
        }
        if ($cc === null) {
            $this->markTestSkipped('no C compiler to build a library of another version');
        }
        // Every declared function, defined to do nothing; jp_version says 9.9.9.
        $decl = (string) file_get_contents(Library::declarationFile());
        $decl = preg_replace('~/\*.*?\*/~s', '', $decl);
        $source = "#include <stdint.h>\n#include <stdbool.h>\n" . preg_replace_callback(
            '~^([^\n(]*?)\b(jp_\w+)\(([^)]*)\);~m',
            function (array $m): string {
                if ($m[2] === 'jp_version') {
                    return $m[1] . $m[2] . '(' . $m[3] . ') { return "9.9.9"; }';
                }
                $body = trim($m[1]) === 'void' ? '{}' : '{ return 0; }';
                return $m[1] . $m[2] . '(' . $m[3] . ') ' . $body;
            },
            $decl
        );
        $dir = sys_get_temp_dir() . '/jp-php-v-' . bin2hex(random_bytes(4));
        mkdir($dir);
        try {
            file_put_contents("$dir/v.c", $source);
            exec(escapeshellarg($cc) . ' -shared -fPIC -o ' . escapeshellarg("$dir/libjetpack_partner.so") . ' ' . escapeshellarg("$dir/v.c") . ' 2>&1', $output, $status);
            $this->assertSame(0, $status, implode("\n", $output));
            $out = $this->runScript(['options' => ['library' => "$dir/libjetpack_partner.so"]]);
            $this->assertSame('version_mismatch', $out['error_code'] ?? null, json_encode($out));
            $this->assertStringContainsString('9.9.9', $out['message']);
            $this->assertStringContainsString(Library::BINDING_VERSION, $out['message']);
        } finally {
            Env::removeTree($dir);
        }
    }

    public function testLibraryVersionMatchesTheBinding(): void
    {
        $version = Library::libraryVersion(Env::lib());
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', $version);
        $this->assertSame(
            implode('.', array_slice(explode('.', Client::VERSION), 0, 2)),
            implode('.', array_slice(explode('.', $version), 0, 2))
        );
    }
}
