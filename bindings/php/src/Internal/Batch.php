<?php

declare(strict_types=1);

namespace JetpackPartner\Internal;

use JetpackPartner\Exception;

/**
 * What both backends share for provisionMany(), cancelMany() and reconcile(): the result
 * arrays, the checks of the options, the item fields.
 *
 * @internal
 */
final class Batch
{
    /** The client's error codes by jp_code number. */
    public const CODE_NAMES = [
        1 => 'invalid_argument', 2 => 'api_error', 3 => 'transport_error', 4 => 'timeout',
        5 => 'tls_error', 6 => 'invalid_response', 7 => 'response_too_large',
        8 => 'outcome_unknown', 9 => 'token_error', 10 => 'internal',
    ];

    /** Fields of a provision item besides its options. */
    public const PROVISION_FIELDS = ['key', 'local_user', 'siteurl', 'plan'];
    /** Fields of a cancel item besides its options. */
    public const CANCEL_FIELDS = ['key', 'site', 'plan'];

    /**
     * @param array<string, mixed> $options concurrency (1-64, default 8), journal (a file path)
     * @return array{concurrency: int, journal: ?string}
     */
    public static function options(array $options): array
    {
        foreach (array_keys($options) as $name) {
            if (!in_array($name, ['concurrency', 'journal'], true)) {
                throw Errors::invalid((string) $name, 'unknown option (concurrency, journal)');
            }
        }
        $concurrency = $options['concurrency'] ?? 8;
        if (!is_int($concurrency) || $concurrency < 1 || $concurrency > 64) {
            throw Errors::invalid('concurrency', 'must be an integer from 1 to 64');
        }
        $journal = $options['journal'] ?? null;
        if ($journal !== null && (!is_string($journal) || $journal === '' || str_contains($journal, "\0"))) {
            throw Errors::invalid('journal', 'must be a file path');
        }
        return ['concurrency' => $concurrency, 'journal' => $journal];
    }

    /**
     * A result array from the library's (or the tool's) result JSON.
     *
     * @param array<string, mixed> $value
     * @return array{index: int, key: string, operation: string, site: string, outcome: string, reply: ?array<mixed>, exception: ?Exception}
     */
    public static function result(array $value, int $index): array
    {
        $error = is_array($value['error'] ?? null) ? $value['error'] : null;
        return [
            'index' => $index,
            'key' => (string) ($value['key'] ?? ''),
            'operation' => (string) ($value['operation'] ?? ''),
            'site' => (string) ($value['site'] ?? ''),
            'outcome' => (string) ($value['outcome'] ?? 'failed'),
            'reply' => is_array($value['reply'] ?? null) ? $value['reply'] : null,
            'exception' => $error === null ? null : Errors::make(
                (string) ($error['code'] ?? 'internal'),
                (string) ($error['message'] ?? ''),
                is_int($error['http_status'] ?? null) ? $error['http_status'] : null
            ),
        ];
    }

    /**
     * The failed result of an item that could not be handed over.
     *
     * @return array{index: int, key: string, operation: string, site: string, outcome: string, reply: null, exception: Exception}
     */
    public static function refused(string $operation, int $index, mixed $item, string $message): array
    {
        $key = is_array($item) && is_string($item['key'] ?? null) ? $item['key'] : '';
        return [
            'index' => $index,
            'key' => $key,
            'operation' => $operation,
            'site' => '',
            'outcome' => 'failed',
            'reply' => null,
            'exception' => Errors::invalid('item ' . $index, $message),
        ];
    }

    /**
     * A text field of an item (null when absent); throws for a value that is not text.
     *
     * @param array<mixed> $item
     */
    public static function text(array $item, string $name): ?string
    {
        $value = $item[$name] ?? null;
        if ($value === null) {
            return null;
        }
        if (is_int($value)) {
            return (string) $value;
        }
        if (!is_string($value)) {
            throw Errors::invalid($name, 'must be a string');
        }
        if (str_contains($value, "\0") || preg_match('//u', $value) !== 1) {
            throw Errors::invalid($name, 'must be UTF-8 text without NUL');
        }
        return $value;
    }

    /**
     * The options of an item: every field but the operation's own.
     *
     * @param array<mixed> $item
     * @return array<string, mixed>
     */
    public static function itemOptions(string $operation, array $item): array
    {
        $own = $operation === 'provision' ? self::PROVISION_FIELDS : self::CANCEL_FIELDS;
        $options = [];
        foreach ($item as $name => $value) {
            if (!in_array($name, $own, true) && $value !== null) {
                $options[(string) $name] = $value;
            }
        }
        return $options;
    }

    /**
     * The list of reconcile(): arrays of site, plan, key, local_user.
     *
     * @param iterable<mixed> $expected
     * @return list<array<string, string>>
     */
    public static function expected(iterable $expected): array
    {
        $lines = [];
        $index = 0;
        foreach ($expected as $line) {
            if (!is_array($line)) {
                throw Errors::invalid("expected[$index]", 'must be an array of site, plan, key, local_user');
            }
            $clean = [];
            foreach (['site', 'plan', 'key', 'local_user'] as $name) {
                try {
                    $value = self::text($line, $name);
                } catch (Exception $e) {
                    throw Errors::invalid("expected[$index].$name", 'must be a string');
                }
                if ($value !== null) {
                    $clean[$name] = $value;
                }
            }
            foreach (['site', 'plan'] as $name) {
                if (($clean[$name] ?? '') === '') {
                    throw Errors::invalid("expected[$index].$name", 'must not be empty');
                }
            }
            $lines[] = $clean;
            $index++;
        }
        return $lines;
    }

    /**
     * @param array<string, mixed> $options user_token, fix, concurrency, journal, local_user
     * @return array<string, mixed>
     */
    public static function reconcileOptions(#[\SensitiveParameter] array $options): array
    {
        $known = ['user_token' => 'string', 'fix' => 'bool', 'concurrency' => 'int', 'journal' => 'string', 'local_user' => 'string'];
        $clean = [];
        foreach ($options as $name => $value) {
            $type = $known[$name] ?? null;
            if ($type === null) {
                throw Errors::invalid((string) $name, 'unknown option (' . implode(', ', array_keys($known)) . ')');
            }
            if ($value === null) {
                continue;
            }
            $ok = match ($type) {
                'bool' => is_bool($value),
                'int' => is_int($value) && $value >= 1 && $value <= 64,
                default => is_string($value) && $value !== '' && !str_contains($value, "\0"),
            };
            if (!$ok) {
                throw Errors::invalid((string) $name, $type === 'int' ? 'must be an integer from 1 to 64' : 'must be a ' . ($type === 'bool' ? 'boolean' : 'non-empty string'));
            }
            $clean[(string) $name] = $value;
        }
        return $clean;
    }
}
