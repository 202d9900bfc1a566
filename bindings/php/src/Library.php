<?php

declare(strict_types=1);

namespace JetpackPartner;

/**
 * Loads libjetpack_partner through PHP's FFI.
 *
 * Order: the FFI scope "JETPACK_PARTNER" when preload() ran in opcache.preload
 * (needed by PHP-FPM with the default ffi.enable=preload), then FFI::cdef() with the
 * first library found in: the `library` option, env JETPACK_PARTNER_LIB, the
 * package's own copy (bindings/php/lib/), the system library path. A library named
 * explicitly (option or env) is the only one tried.
 */
final class Library
{
    /** The FFI scope name preload() registers. */
    public const SCOPE = 'JETPACK_PARTNER';

    /** The binding's version; the library must have the same major (and minor, for 0.x). */
    public const BINDING_VERSION = '0.1.0';

    public const JP_OK = 0;
    public const JP_INVALID_ARGUMENT = 1;
    public const JP_API_ERROR = 2;
    public const JP_TRANSPORT_ERROR = 3;
    public const JP_TIMEOUT = 4;
    public const JP_TLS_ERROR = 5;
    public const JP_INVALID_RESPONSE = 6;
    public const JP_RESPONSE_TOO_LARGE = 7;
    public const JP_OUTCOME_UNKNOWN = 8;
    public const JP_TOKEN_ERROR = 9;
    public const JP_INTERNAL = 10;

    /** @var array<string, \FFI> loaded instances, keyed by what was loaded */
    private static array $loaded = [];

    /** Set once FFI::scope() failed in this request: not asked again. */
    private static bool $noScope = false;

    /** Path of the preprocessed declaration file given to FFI::cdef() and FFI::load(). */
    public static function declarationFile(): string
    {
        return dirname(__DIR__) . DIRECTORY_SEPARATOR . 'jetpack_partner.ffi.h';
    }

    /** Directory of the package's own copy of the library. */
    public static function packageLibDir(): string
    {
        return dirname(__DIR__) . DIRECTORY_SEPARATOR . 'lib';
    }

    /**
     * The candidates tried, in order.
     *
     * @return list<string>
     */
    public static function candidates(?string $library = null): array
    {
        if ($library !== null && $library !== '') {
            return [$library];
        }
        $env = getenv('JETPACK_PARTNER_LIB');
        if (is_string($env) && $env !== '') {
            return [$env];
        }
        if (PHP_OS_FAMILY === 'Darwin') {
            $names = ['libjetpack_partner.0.dylib', 'libjetpack_partner.dylib'];
        } else {
            $names = ['libjetpack_partner.so', 'libjetpack_partner.so.0'];
        }
        $out = [];
        foreach ($names as $name) {
            $out[] = self::packageLibDir() . DIRECTORY_SEPARATOR . $name;
        }
        // The system search path (ld.so.conf, LD_LIBRARY_PATH): the versioned name
        // first, as installed by `make install`.
        foreach (array_reverse($names) as $name) {
            $out[] = $name;
        }
        return $out;
    }

    /** True when the FFI scope registered by preload() exists in this process. */
    public static function isPreloaded(): bool
    {
        if (!extension_loaded('ffi')) {
            return false;
        }
        try {
            \FFI::scope(self::SCOPE);
            return true;
        } catch (\Throwable $e) {
            return false;
        }
    }

    /**
     * The FFI handle of the library. Uses the preloaded scope when there is one.
     *
     * @throws Exception code library_not_found, ffi_disabled, ffi_unavailable or version_mismatch
     */
    public static function ffi(?string $library = null): \FFI
    {
        if (!extension_loaded('ffi')) {
            throw new Exception(
                'ffi_unavailable',
                'the PHP FFI extension is not loaded (install/enable php-ffi, or let the client run the jetpack-partner command-line tool)'
            );
        }
        if (isset(self::$loaded[self::SCOPE])) {
            return self::$loaded[self::SCOPE];
        }
        if (!self::$noScope) {
            try {
                $ffi = \FFI::scope(self::SCOPE);
                self::checkVersion($ffi, 'preloaded scope ' . self::SCOPE);
                return self::$loaded[self::SCOPE] = $ffi;
            } catch (\FFI\Exception $e) {
                // Not preloaded: load it ourselves below.
                self::$noScope = true;
            }
        }

        $setting = strtolower(trim((string) ini_get('ffi.enable')));
        if (in_array($setting, ['0', '', 'off', 'false', 'no'], true)) {
            throw self::disabled($setting);
        }
        if ($setting === 'preload' && PHP_SAPI !== 'cli') {
            throw self::disabled($setting);
        }

        $decl = self::declarations();
        $tried = [];
        foreach (self::candidates($library) as $candidate) {
            if (isset(self::$loaded[$candidate])) {
                return self::$loaded[$candidate];
            }
            if (str_contains($candidate, '/') && !is_file($candidate)) {
                $tried[] = $candidate . ' (not found)';
                continue;
            }
            try {
                $ffi = \FFI::cdef($decl, $candidate);
            } catch (\FFI\Exception $e) {
                if (str_contains($e->getMessage(), 'ffi.enable')) {
                    throw self::disabled($setting);
                }
                $tried[] = $candidate . ' (' . $e->getMessage() . ')';
                continue;
            }
            self::checkVersion($ffi, $candidate);
            return self::$loaded[$candidate] = $ffi;
        }
        throw new Exception(
            'library_not_found',
            'libjetpack_partner could not be loaded; tried: ' . implode('; ', $tried)
            . '. Set the "library" option or JETPACK_PARTNER_LIB to the path of libjetpack_partner.so,'
            . ' or copy it into ' . self::packageLibDir() . '.'
        );
    }

    /**
     * The library already loaded in this request (by a Client, with whatever `library`
     * option it had), else the one ffi() finds. For the calls that need no client.
     */
    public static function loaded(): \FFI
    {
        foreach (self::$loaded as $ffi) {
            return $ffi;
        }
        return self::ffi();
    }

    /**
     * Registers the FFI scope "JETPACK_PARTNER" with FFI::load(), unless it is
     * already there (php.ini's ffi.preload). Call it from the opcache.preload script
     * (bindings/php/preload.php); needed where ffi.enable=preload (the default), i.e.
     * under PHP-FPM or Apache's mod_php, where only preloaded code may use FFI.
     *
     * PHP refuses FFI::load() when the preload runs as root with
     * opcache.preload_user: then use php.ini's ffi.preload with the header from
     * preloadHeader() (bindings/php/ffi-preload-header.php prints it).
     *
     * Also compiles the package's classes into opcache. A preload script of your own
     * needs only: require '.../autoload.php'; JetpackPartner\Library::preload('/path/to/libjetpack_partner.so');
     *
     * @return string the library loaded
     */
    public static function preload(?string $library = null): string
    {
        // Compile every class of the package into opcache: with ffi.enable=preload only
        // preloaded code may call FFI::scope().
        foreach (glob(__DIR__ . '/{,Internal/}*.php', GLOB_BRACE) ?: [] as $file) {
            require_once $file;
        }
        if (!extension_loaded('ffi')) {
            throw new Exception('ffi_unavailable', 'the PHP FFI extension is not loaded: nothing to preload');
        }
        try {
            $ffi = \FFI::scope(self::SCOPE);
            self::checkVersion($ffi, 'ffi.preload scope ' . self::SCOPE);
            return 'scope ' . self::SCOPE;
        } catch (\FFI\Exception $e) {
            // Not loaded by ffi.preload: load it here.
        }
        $decl = self::declarations();
        $tried = [];
        foreach (self::candidates($library) as $candidate) {
            if (str_contains($candidate, '/') && !is_file($candidate)) {
                $tried[] = $candidate . ' (not found)';
                continue;
            }
            $file = tempnam(sys_get_temp_dir(), 'jetpack_partner_ffi_');
            if ($file === false || file_put_contents($file, self::scopeHeader($candidate, $decl)) === false) {
                throw new Exception('internal', 'could not write a temporary FFI header in ' . sys_get_temp_dir());
            }
            try {
                $ffi = \FFI::load($file);
            } catch (\FFI\Exception $e) {
                if (str_contains($e->getMessage(), 'preload_user')) {
                    throw new Exception(
                        'ffi_disabled',
                        'PHP refuses FFI::load() in a preload run as root with opcache.preload_user.'
                        . ' Load the library with the php.ini setting ffi.preload as well: php '
                        . dirname(__DIR__) . '/ffi-preload-header.php > /etc/php/jetpack_partner.h, then'
                        . ' ffi.preload=/etc/php/jetpack_partner.h (keep this opcache.preload script: it preloads the classes).'
                    );
                }
                $tried[] = $candidate . ' (' . $e->getMessage() . ')';
                continue;
            } finally {
                @unlink($file);
            }
            if ($ffi === null) {
                $tried[] = $candidate . ' (FFI::load failed)';
                continue;
            }
            self::checkVersion($ffi, $candidate);
            return $candidate;
        }
        throw new Exception(
            'library_not_found',
            'libjetpack_partner could not be preloaded; tried: ' . implode('; ', $tried)
        );
    }

    /**
     * A header for php.ini's ffi.preload: the declarations headed by FFI_SCOPE
     * "JETPACK_PARTNER" and FFI_LIB, the first library found (absolute path), or the
     * system library name when no copy is found on disk.
     */
    public static function preloadHeader(?string $library = null): string
    {
        $chosen = null;
        foreach (self::candidates($library) as $candidate) {
            if (!str_contains($candidate, '/')) {
                $chosen = $chosen ?? $candidate;
                break;
            }
            if (is_file($candidate)) {
                $chosen = realpath($candidate) ?: $candidate;
                break;
            }
        }
        if ($chosen === null) {
            throw new Exception(
                'library_not_found',
                'libjetpack_partner not found; tried: ' . implode('; ', self::candidates($library))
            );
        }
        return self::scopeHeader($chosen, self::declarations());
    }

    private static function scopeHeader(string $library, string $decl): string
    {
        if (strpbrk($library, "\"\r\n\0") !== false) {
            throw new Exception('invalid_argument', 'library: the path contains a quote or a control character');
        }
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n"
            . '#define FFI_LIB "' . $library . "\"\n"
            . $decl;
    }

    /** The version string of the library (jp_version()). */
    public static function libraryVersion(?string $library = null): string
    {
        return self::versionOf(self::ffi($library));
    }

    private static function declarations(): string
    {
        $decl = @file_get_contents(self::declarationFile());
        if ($decl === false) {
            throw new Exception('library_not_found', 'missing declaration file ' . self::declarationFile());
        }
        return $decl;
    }

    private static function versionOf(\FFI $ffi): string
    {
        $v = $ffi->jp_version();
        if ($v instanceof \FFI\CData) {
            $v = \FFI::string($v);
        }
        return (string) $v;
    }

    private static function checkVersion(\FFI $ffi, string $what): void
    {
        $version = self::versionOf($ffi);
        $want = explode('.', self::BINDING_VERSION);
        $have = explode('.', $version);
        $same = ($have[0] ?? '') === $want[0] && ($want[0] !== '0' || ($have[1] ?? '') === $want[1]);
        if (!$same) {
            throw new Exception(
                'version_mismatch',
                sprintf(
                    'libjetpack_partner %s (%s) is not compatible with this binding (%s)',
                    $version,
                    $what,
                    self::BINDING_VERSION
                )
            );
        }
    }

    private static function disabled(string $setting): Exception
    {
        $dir = dirname(__DIR__) . DIRECTORY_SEPARATOR;
        $recipe = sprintf(
            'opcache.enable=1 and opcache.preload=%spreload.php (when PHP starts as root, also'
            . ' opcache.preload_user=<the pool user> and ffi.preload=<the header printed by php %sffi-preload-header.php>)',
            $dir,
            $dir
        );
        if ($setting === 'preload') {
            return new Exception(
                'ffi_disabled',
                'PHP FFI is restricted by the php.ini setting ffi.enable=preload: outside the CLI only code'
                . ' preloaded by opcache may use it, and this package was not preloaded. Preload it with '
                . $recipe . ', or set ffi.enable=true; then restart PHP.'
            );
        }
        return new Exception(
            'ffi_disabled',
            sprintf('PHP FFI is disabled by the php.ini setting ffi.enable=%s. Set ffi.enable=true,', $setting === '' ? '0' : $setting)
            . ' or ffi.enable=preload and preload this package with ' . $recipe . '; then restart PHP.'
        );
    }
}
