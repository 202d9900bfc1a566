<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

/** A minimal FastCGI client: one GET request to a PHP-FPM pool, returns the body. */
final class FastCgi
{
    private const BEGIN_REQUEST = 1;
    private const END_REQUEST = 3;
    private const PARAMS = 4;
    private const STDIN = 5;
    private const STDOUT = 6;
    private const STDERR = 7;

    /**
     * @param array<string, string> $params
     * @return array{stdout: string, stderr: string}
     */
    public static function request(string $host, int $port, array $params, float $timeout = 30): array
    {
        $sock = @stream_socket_client("tcp://$host:$port", $errno, $errstr, $timeout);
        if ($sock === false) {
            throw new \RuntimeException("FastCGI connect to $host:$port failed: $errstr");
        }
        stream_set_timeout($sock, (int) ceil($timeout));
        $pairs = '';
        foreach ($params as $name => $value) {
            $pairs .= self::len(strlen($name)) . self::len(strlen($value)) . $name . $value;
        }
        $data = self::record(self::BEGIN_REQUEST, pack('nCx5', 1, 0));
        foreach (str_split($pairs, 65535) as $chunk) {
            $data .= self::record(self::PARAMS, $chunk);
        }
        $data .= self::record(self::PARAMS, '') . self::record(self::STDIN, '');
        fwrite($sock, $data);

        $stdout = '';
        $stderr = '';
        while (true) {
            $head = self::read($sock, 8);
            $h = unpack('Cversion/Ctype/nid/nlength/Cpadding/Creserved', $head);
            $content = self::read($sock, $h['length'] + $h['padding']);
            $content = substr($content, 0, $h['length']);
            if ($h['type'] === self::STDOUT) {
                $stdout .= $content;
            } elseif ($h['type'] === self::STDERR) {
                $stderr .= $content;
            } elseif ($h['type'] === self::END_REQUEST) {
                break;
            }
        }
        fclose($sock);
        return ['stdout' => $stdout, 'stderr' => $stderr];
    }

    private static function record(int $type, string $content): string
    {
        return pack('CCnnCx', 1, $type, 1, strlen($content), 0) . $content;
    }

    private static function len(int $n): string
    {
        return $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
    }

    /** @param resource $sock */
    private static function read($sock, int $n): string
    {
        $buf = '';
        while (strlen($buf) < $n) {
            $chunk = fread($sock, $n - strlen($buf));
            if ($chunk === false || $chunk === '') {
                if (stream_get_meta_data($sock)['timed_out']) {
                    throw new \RuntimeException('FastCGI read timed out');
                }
                if (feof($sock)) {
                    throw new \RuntimeException('FastCGI connection closed early');
                }
                continue;
            }
            $buf .= $chunk;
        }
        return $buf;
    }
}
