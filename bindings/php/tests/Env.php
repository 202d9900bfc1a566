<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

/** Paths of the build outputs and of this package, for the tests. */
final class Env
{
    private static string $lib;
    private static string $cli;
    private static string $sandbox;

    public static function init(): void
    {
        $release = self::repoRoot() . '/target/release';
        self::$lib = self::fromEnv('JETPACK_PARTNER_LIB', $release . '/libjetpack_partner.so');
        self::$cli = self::fromEnv('JETPACK_PARTNER_CLI', $release . '/jetpack-partner');
        self::$sandbox = self::fromEnv('JETPACK_PARTNER_SANDBOX', $release . '/jetpack-partner-sandbox');
        // The binding itself reads these two; child processes inherit them.
        putenv('JETPACK_PARTNER_LIB=' . self::$lib);
        putenv('JETPACK_PARTNER_CLI=' . self::$cli);
        putenv('JETPACK_PARTNER_FORCE_CLI');
    }

    public static function repoRoot(): string
    {
        return dirname(__DIR__, 3);
    }

    public static function packageDir(): string
    {
        return dirname(__DIR__);
    }

    public static function lib(): string
    {
        return self::$lib;
    }

    public static function cli(): string
    {
        return self::$cli;
    }

    public static function sandbox(): string
    {
        return self::$sandbox;
    }

    /**
     * Runs a PHP script in a separate process.
     *
     * @param list<string> $phpArgs  arguments before the script (-d ..., -n)
     * @param array<string, string|false> $env changes to the environment (false removes)
     * @param list<string> $scriptArgs
     * @param list<string> $prefix command run in front of PHP (setpriv ...)
     * @return array{status: int, stdout: string, stderr: string}
     */
    public static function php(string $script, array $phpArgs = [], array $env = [], array $scriptArgs = [], array $prefix = []): array
    {
        $childEnv = getenv();
        foreach ($env as $k => $v) {
            if ($v === false) {
                unset($childEnv[$k]);
            } else {
                $childEnv[$k] = $v;
            }
        }
        $childEnv['JETPACK_PARTNER_TEST_API_BASE'] = Sandbox::url();
        $argv = array_merge($prefix, [PHP_BINARY], $phpArgs, [$script], $scriptArgs);
        $pipes = [];
        $proc = proc_open($argv, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $childEnv);
        if (!is_resource($proc)) {
            throw new \RuntimeException('could not run ' . PHP_BINARY);
        }
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $status = proc_close($proc);
        return ['status' => $status, 'stdout' => (string) $stdout, 'stderr' => (string) $stderr];
    }

    /**
     * A copy of the package (sources, autoload, preload scripts, declaration file, test
     * fixtures) in a new world-readable temporary directory, optionally with the library
     * in its lib/. Used where another user (nobody) must read it, or to test the lookup
     * of the package's own copy.
     */
    public static function packageCopy(bool $withLibrary): string
    {
        $dir = sys_get_temp_dir() . '/jp-php-pkg-' . bin2hex(random_bytes(4));
        foreach (['', '/src/Internal', '/lib', '/bin', '/tests/fixtures'] as $sub) {
            if (!is_dir($dir . $sub)) {
                mkdir($dir . $sub, 0755, true);
            }
        }
        chmod($dir, 0755);
        $files = ['autoload.php', 'preload.php', 'ffi-preload-header.php', 'jetpack_partner.ffi.h', 'bundle.sh'];
        foreach (glob(self::packageDir() . '/{src,src/Internal,tests/fixtures}/*.php', GLOB_BRACE) as $f) {
            $files[] = substr($f, strlen(self::packageDir() . '/'));
        }
        foreach ($files as $f) {
            copy(self::packageDir() . '/' . $f, $dir . '/' . $f);
            chmod($dir . '/' . $f, 0644);
        }
        if ($withLibrary) {
            copy(self::lib(), $dir . '/lib/libjetpack_partner.so');
            chmod($dir . '/lib/libjetpack_partner.so', 0755);
        }
        return $dir;
    }

    public static function removeTree(string $dir): void
    {
        if ($dir !== '' && str_starts_with($dir, sys_get_temp_dir() . '/jp-php-')) {
            exec('rm -rf ' . escapeshellarg($dir));
        }
    }

    private static function fromEnv(string $name, string $default): string
    {
        $v = getenv($name);
        return is_string($v) && $v !== '' ? $v : $default;
    }
}
