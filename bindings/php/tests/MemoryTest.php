<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\ApiException;
use JetpackPartner\Client;
use PHPUnit\Framework\TestCase;

/**
 * Memory stays flat over many calls: every jp_response and jp_client is freed.
 * PHP's heap (memory_get_usage) and the process RSS (which sees the library's
 * allocations) are measured after a warm-up.
 */
final class MemoryTest extends TestCase
{
    private static function rssKb(): int
    {
        $status = (string) file_get_contents('/proc/self/status');
        if (preg_match('/^VmRSS:\s+(\d+)\s+kB/m', $status, $m) !== 1) {
            self::fail('no VmRSS in /proc/self/status');
        }
        return (int) $m[1];
    }

    private function client(): Client
    {
        return new Client(Sandbox::PARTNER_ID, Sandbox::PARTNER_SECRET, [
            'api_base' => Sandbox::url(),
            'backend' => 'ffi',
            'library' => Env::lib(),
        ]);
    }

    public function testFlatOverTenThousandCalls(): void
    {
        $client = $this->client();
        $site = Sandbox::uniqueSite('memory');
        $client->provision('admin', $site, 'jetpack-backup-daily');
        $call = function (int $i) use ($client, $site): void {
            if ($i % 10 === 0) {
                // Error outcomes too: their responses carry an error body.
                try {
                    $client->provision('admin', $site, 'no-such-plan');
                } catch (ApiException $e) {
                }
                return;
            }
            $client->status($site);
        };
        for ($i = 0; $i < 1000; $i++) {
            $call($i);
        }
        gc_collect_cycles();
        $heap0 = memory_get_usage();
        $rss0 = self::rssKb();
        for ($i = 0; $i < 10000; $i++) {
            $call($i);
        }
        gc_collect_cycles();
        $heapGrowth = memory_get_usage() - $heap0;
        $rssGrowthKb = self::rssKb() - $rss0;
        fwrite(STDERR, sprintf("\n[memory] 10000 calls: heap %+d bytes, RSS %+d kB\n", $heapGrowth, $rssGrowthKb));
        // 512 kB over 10,000 calls: a leak of 52 bytes a call fails (a leaked response is several hundred).
        $this->assertLessThan(64 * 1024, $heapGrowth, 'PHP heap grew');
        $this->assertLessThan(512, $rssGrowthKb, 'RSS grew');
    }

    public function testFlatOverManyClients(): void
    {
        $site = Sandbox::uniqueSite('clients');
        $this->client()->provision('admin', $site);
        for ($i = 0; $i < 200; $i++) {
            $this->client()->status($site);
        }
        gc_collect_cycles();
        $heap0 = memory_get_usage();
        $rss0 = self::rssKb();
        for ($i = 0; $i < 2000; $i++) {
            $client = $this->client();
            $client->status($site);
            unset($client);
        }
        gc_collect_cycles();
        $heapGrowth = memory_get_usage() - $heap0;
        $rssGrowthKb = self::rssKb() - $rss0;
        fwrite(STDERR, sprintf("[memory] 2000 clients: heap %+d bytes, RSS %+d kB\n", $heapGrowth, $rssGrowthKb));
        $this->assertLessThan(64 * 1024, $heapGrowth, 'PHP heap grew');
        $this->assertLessThan(512, $rssGrowthKb, 'RSS grew');
    }

    public function testFlatOverOwnedStringsAndRedirects(): void
    {
        // jp_oauth_authorize_url hands over two strings (freed with jp_string_free);
        // jp_oauth_parse_redirect a response without any client.
        $client = $this->client();
        $call = function (int $i) use ($client): void {
            $authorize = $client->authorizeUrl(['redirect_uri' => 'http://127.0.0.1:9/callback', 'response_type' => $i % 2 ? 'token' : 'code']);
            $grant = Client::parseRedirect('http://127.0.0.1:9/callback?code=c' . $i . '&state=' . $authorize['state'], $authorize['state']);
            if ($grant['code'] !== 'c' . $i) {
                throw new \RuntimeException('unexpected grant');
            }
            try {
                Client::parseRedirect('http://127.0.0.1:9/callback?error=access_denied&state=s', 's');
            } catch (ApiException $e) {
            }
        };
        for ($i = 0; $i < 1000; $i++) {
            $call($i);
        }
        gc_collect_cycles();
        $heap0 = memory_get_usage();
        $rss0 = self::rssKb();
        for ($i = 0; $i < 10000; $i++) {
            $call($i);
        }
        gc_collect_cycles();
        $heapGrowth = memory_get_usage() - $heap0;
        $rssGrowthKb = self::rssKb() - $rss0;
        fwrite(STDERR, sprintf("[memory] 10000 authorize URLs and redirects: heap %+d bytes, RSS %+d kB\n", $heapGrowth, $rssGrowthKb));
        $this->assertLessThan(64 * 1024, $heapGrowth, 'PHP heap grew');
        $this->assertLessThan(512, $rssGrowthKb, 'RSS grew');
    }
}
