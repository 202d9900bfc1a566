<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

/** A tinyproxy on 127.0.0.1 for the proxy tests, with its log to read what went through it. */
final class Proxy
{
    /** @var resource */
    private $proc;
    private string $dir;
    public int $port;

    public static function binary(): ?string
    {
        foreach (['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy', '/usr/local/bin/tinyproxy'] as $b) {
            if (is_executable($b)) {
                return $b;
            }
        }
        return null;
    }

    public function __construct(string $binary)
    {
        $this->dir = sys_get_temp_dir() . '/jp-php-proxy-' . bin2hex(random_bytes(4));
        mkdir($this->dir);
        chmod($this->dir, 0777);
        $this->port = Sandbox::closedPort();
        file_put_contents($this->dir . '/tinyproxy.conf', implode("\n", [
            "Port {$this->port}",
            'Listen 127.0.0.1',
            'Timeout 30',
            'Allow 127.0.0.1',
            "LogFile \"{$this->dir}/log\"",
            'LogLevel Connect',
            'MaxClients 10',
        ]) . "\n");
        $pipes = [];
        $proc = proc_open(
            [$binary, '-d', '-c', $this->dir . '/tinyproxy.conf'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', $this->dir . '/err', 'w']],
            $pipes
        );
        if (!is_resource($proc)) {
            throw new \RuntimeException('could not start tinyproxy');
        }
        $this->proc = $proc;
        $deadline = microtime(true) + 10;
        while (true) {
            $probe = @stream_socket_client("tcp://127.0.0.1:{$this->port}", $errno, $errstr, 1);
            if ($probe !== false) {
                fclose($probe);
                return;
            }
            if (!proc_get_status($proc)['running'] || microtime(true) > $deadline) {
                $err = (string) @file_get_contents($this->dir . '/err');
                $this->stop();
                throw new \RuntimeException('tinyproxy did not start: ' . $err);
            }
            usleep(20000);
        }
    }

    public function url(): string
    {
        return "http://127.0.0.1:{$this->port}";
    }

    public function log(): string
    {
        return (string) @file_get_contents($this->dir . '/log');
    }

    public function stop(): void
    {
        if (is_resource($this->proc)) {
            proc_terminate($this->proc, 15);
            $deadline = microtime(true) + 5;
            while (proc_get_status($this->proc)['running'] && microtime(true) < $deadline) {
                usleep(20000);
            }
            if (proc_get_status($this->proc)['running']) {
                proc_terminate($this->proc, 9);
            }
            proc_close($this->proc);
        }
        exec('rm -rf ' . escapeshellarg($this->dir));
    }
}
