<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\Library;
use PHPUnit\Framework\TestCase;

/**
 * The FFI declaration file must declare the same functions, with the same
 * signatures, as include/jetpack_partner.h, and Library's JP_* constants must have
 * the header's values.
 */
final class HeaderSyncTest extends TestCase
{
    private static function header(): string
    {
        $path = Env::repoRoot() . '/include/jetpack_partner.h';
        $text = @file_get_contents($path);
        if ($text === false) {
            self::fail("cannot read $path");
        }
        return $text;
    }

    /**
     * Function prototypes of a C header: name => normalized signature (return type and
     * parameter types, without parameter names).
     *
     * @return array<string, string>
     */
    public static function prototypes(string $c): array
    {
        $c = preg_replace('~/\*.*?\*/~s', ' ', $c);
        $c = preg_replace('~//[^\n]*~', ' ', $c);
        $c = preg_replace('~^\s*#.*$~m', ' ', $c);
        $c = preg_replace('~extern\s+"C"\s*\{~', ' ', $c);
        $out = [];
        preg_match_all('~([A-Za-z_][\w\s\*]*?)\b(jp_\w+)\s*\(([^()]*)\)\s*;~', $c, $m, PREG_SET_ORDER);
        foreach ($m as [, $ret, $name, $params]) {
            $ret = preg_replace('~\b(extern|JP_\w+)\b~', '', $ret);
            $types = [];
            foreach (explode(',', $params) as $p) {
                $p = trim($p);
                if ($p === '' || $p === 'void') {
                    continue;
                }
                // Drop the parameter name (the last identifier when more than a type is left).
                $p = preg_replace('~\s*\b[A-Za-z_]\w*\s*$~', '', $p) ?: $p;
                $types[] = self::norm($p);
            }
            $out[$name] = self::norm($ret) . ' (' . implode(', ', $types) . ')';
        }
        ksort($out);
        return $out;
    }

    private static function norm(string $t): string
    {
        $t = preg_replace('~\s*\*\s*~', ' * ', $t);
        return trim(preg_replace('~\s+~', ' ', $t));
    }

    public function testSameFunctionsAndSignatures(): void
    {
        $header = self::prototypes(self::header());
        $ffi = self::prototypes((string) file_get_contents(Library::declarationFile()));
        $this->assertGreaterThan(20, count($header), 'no prototypes parsed from the header');
        $this->assertSame(array_keys($header), array_keys($ffi), 'function names differ');
        $this->assertSame($header, $ffi, 'signatures differ');
    }

    public function testDeclarationFileHasNoPreprocessorLines(): void
    {
        $this->assertDoesNotMatchRegularExpression('~^\s*#~m', (string) file_get_contents(Library::declarationFile()));
    }

    public function testResultCodesMatch(): void
    {
        $header = self::header();
        $constants = (new \ReflectionClass(Library::class))->getConstants();
        $codes = array_filter($constants, fn ($k) => str_starts_with($k, 'JP_'), ARRAY_FILTER_USE_KEY);
        $this->assertCount(11, $codes);
        foreach ($codes as $name => $value) {
            $this->assertMatchesRegularExpression('~\b' . $name . '\s*=\s*' . $value . '\b|#define\s+' . $name . '\s+\(?\s*(\(jp_code\))?\s*' . $value . '\b~', $header, $name);
        }
    }

    public function testVersionMacrosMatchTheBinding(): void
    {
        $header = self::header();
        [$major, $minor] = explode('.', Library::BINDING_VERSION);
        $this->assertMatchesRegularExpression('~#define\s+JP_VERSION_MAJOR\s+' . $major . '\b~', $header);
        $this->assertMatchesRegularExpression('~#define\s+JP_VERSION_MINOR\s+' . $minor . '\b~', $header);
        if (preg_match('~#define\s+JP_VERSION\s+"([^"]*)"~', $header, $m) === 1) {
            $this->assertStringStartsWith("$major.$minor.", $m[1]);
        }
    }
}
