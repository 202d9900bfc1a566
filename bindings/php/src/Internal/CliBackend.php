<?php

declare(strict_types=1);

namespace JetpackPartner\Internal;

use JetpackPartner\Exception;

/**
 * Runs the `jetpack-partner` command-line tool, for PHP builds without the FFI
 * extension. The tool speaks the same JSON: the server's reply on stdout and exit 0
 * on success; {"success": false, "error_code", "error_message", "http_status"} and
 * exit 1 on failure; exit 2 for a command line it refuses.
 *
 * The command is an argv array (no shell). The partner ID and secret travel in the
 * child's environment (JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET), never on its
 * command line.
 *
 * @internal
 */
final class CliBackend implements Backend
{
    /** Option names each operation accepts, with their types ("bool", "int", "string"). */
    public const OPTIONS = [
        'provision' => [
            'force_register' => 'bool',
            'force_connect' => 'bool',
            'onboarding' => 'bool',
            'wpcom_user_id' => 'int',
            'wpcom_user_email' => 'string',
            'partner_tracking_id' => 'string',
            'ssh_user' => 'string',
            'ssh_pass' => 'string',
            'ssh_private_key' => 'string',
            'ssh_host' => 'string',
            'ssh_port' => 'int',
            'ftp_user' => 'string',
            'ftp_pass' => 'string',
            'ftp_host' => 'string',
            'ftp_port' => 'int',
        ],
        'cancel' => [
            'plan' => 'string',
            'cancel_all' => 'bool',
        ],
        'partner-key-new' => [
            'allowed_personal_plans' => 'int',
            'allowed_premium_plans' => 'int',
            'allowed_professional_plans' => 'int',
            'notes' => 'string',
        ],
    ];

    private string $cli;
    private string $partnerId;
    private string $partnerSecret;
    /** @var list<string> global flags (api base, timeouts, proxy, CA bundle) */
    private array $globalArgs = [];

    /**
     * @param array{api_base?: ?string, timeout_ms?: ?int, connect_timeout_ms?: ?int, proxy?: ?string,
     *              ca_bundle?: ?string, max_attempts?: ?int, max_response_bytes?: ?int,
     *              token_cache_dir?: ?string, idle_timeout_ms?: ?int} $config
     */
    public function __construct(
        string $cli,
        string $partnerId,
        #[\SensitiveParameter] string $partnerSecret,
        array $config
    ) {
        if (!function_exists('proc_open')) {
            throw new Exception(
                'cli_failed',
                'PHP has no FFI extension here and proc_open() is disabled (php.ini disable_functions):'
                . ' enable one of them to use the client'
            );
        }
        $this->cli = $cli;
        $this->partnerId = $partnerId;
        $this->partnerSecret = $partnerSecret;
        if (($config['api_base'] ?? null) !== null) {
            $this->globalArgs[] = '--api_base=' . $config['api_base'];
        }
        if (($config['timeout_ms'] ?? null) !== null) {
            $this->globalArgs[] = '--timeout=' . self::seconds($config['timeout_ms']);
        }
        if (($config['connect_timeout_ms'] ?? null) !== null) {
            $this->globalArgs[] = '--connect_timeout=' . self::seconds($config['connect_timeout_ms']);
        }
        if (($config['proxy'] ?? null) !== null) {
            $this->globalArgs[] = '--proxy=' . $config['proxy'];
        }
        if (($config['ca_bundle'] ?? null) !== null) {
            $this->globalArgs[] = '--ca_bundle=' . $config['ca_bundle'];
        }
        if (($config['max_attempts'] ?? null) !== null) {
            $this->globalArgs[] = '--max_attempts=' . $config['max_attempts'];
        }
        if (($config['token_cache_dir'] ?? null) !== null) {
            $this->globalArgs[] = '--token_cache_dir=' . $config['token_cache_dir'];
        }
        if (($config['idle_timeout_ms'] ?? null) !== null) {
            $this->globalArgs[] = '--idle_timeout=' . self::seconds($config['idle_timeout_ms']);
        }
        if (($config['max_response_bytes'] ?? null) !== null) {
            throw Errors::invalid('max_response_bytes', 'not supported when the client runs the jetpack-partner command-line tool');
        }
    }

    /** @return array<string, mixed> */
    public function __debugInfo(): array
    {
        return ['cli' => $this->cli, 'partnerId' => $this->partnerId, 'partnerSecret' => '(hidden)'];
    }

    /**
     * Finds the command-line tool: the `cli` option, env JETPACK_PARTNER_CLI, the
     * package's own copy (bindings/php/bin/jetpack-partner), then PATH. A tool named
     * explicitly (option or env) is the only one tried.
     */
    public static function locate(?string $cli): string
    {
        $tried = [];
        if ($cli !== null && $cli !== '') {
            $candidates = [$cli];
        } elseif (is_string($env = getenv('JETPACK_PARTNER_CLI')) && $env !== '') {
            $candidates = [$env];
        } else {
            $candidates = [dirname(__DIR__, 2) . DIRECTORY_SEPARATOR . 'bin' . DIRECTORY_SEPARATOR . 'jetpack-partner'];
            $path = getenv('PATH');
            foreach (explode(PATH_SEPARATOR, is_string($path) && $path !== '' ? $path : '/usr/local/bin:/usr/bin:/bin') as $dir) {
                if ($dir !== '') {
                    $candidates[] = rtrim($dir, '/') . '/jetpack-partner';
                }
            }
        }
        foreach ($candidates as $candidate) {
            if (is_file($candidate) && is_executable($candidate)) {
                return $candidate;
            }
            $tried[] = $candidate;
        }
        throw new Exception(
            'cli_not_found',
            'the jetpack-partner command-line tool was not found (PHP has no FFI extension here, so the client runs it);'
            . ' tried: ' . implode(', ', $tried) . '. Set the "cli" option or JETPACK_PARTNER_CLI.'
        );
    }

    public function name(): string
    {
        return 'cli';
    }

    public function warm(): void
    {
        // Each call runs a process of its own: there is nothing to keep ready between calls.
    }

    public function warmInBackground(): void
    {
        // As warm(): nothing to keep ready.
    }

    public function provision(
        string $localUser,
        string $siteUrl,
        ?string $plan,
        #[\SensitiveParameter] array $options
    ): array {
        // The tool reads an empty value as "not given"; the library refuses it: refuse it here too.
        $args = ['--user=' . $localUser, '--url=' . $siteUrl];
        if ($plan !== null) {
            if ($plan === '') {
                throw Errors::invalid('plan', 'must not be empty (pass null for the server\'s default)');
            }
            $args[] = '--plan=' . $plan;
        }
        return $this->run('provision', $args, $options);
    }

    public function cancel(string $site, array $options): array
    {
        return $this->run('cancel', ['--site=' . $site], $options);
    }

    public function partnerKeyNew(string $name, array $options): array
    {
        return $this->run('partner-key-new', ['--name=' . $name], $options);
    }

    public function status(string $site): array
    {
        return $this->run('status', ['--site=' . $site], []);
    }

    public function request(string $method, string $path, array $query, ?array $form, $json, #[\SensitiveParameter] ?string $userToken, ?string $auth)
    {
        $args = [$method, $path];
        foreach ($query as $name => $value) {
            foreach (self::fieldArgs('query', (string) $name, $value) as $arg) {
                $args[] = $arg;
            }
        }
        if ($form !== null) {
            foreach ($form as $name => $value) {
                foreach (self::fieldArgs('form', (string) $name, $value) as $arg) {
                    $args[] = $arg;
                }
            }
        }
        if ($json !== null) {
            try {
                $args[] = '--json=' . json_encode($json, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
            } catch (\JsonException $e) {
                throw Errors::invalid('json', 'cannot be encoded as JSON: ' . $e->getMessage());
            }
        }
        $args[] = '--auth=' . ($auth ?? ($userToken === null ? 'partner' : 'user'));
        return $this->execute('request', array_merge([$this->cli, 'request'], $this->globalArgs, $args), $userToken, true);
    }

    public function statusV12(string $site): array
    {
        return $this->command(['status-v12'], ['--site=' . $site]);
    }

    public function upgradePaths(string $site): array
    {
        return $this->command(['upgrade-paths'], ['--site=' . $site]);
    }

    public function errors(bool $verbose): array
    {
        return $this->command(['errors'], $verbose ? ['--verbose'] : []);
    }

    public function partnerKeysVerify(): array
    {
        return $this->command(['partner-keys-verify'], []);
    }

    public function activations(#[\SensitiveParameter] string $userToken, string $partnerId, string $keyId, array $options): array
    {
        $args = ['--reporting_partner=' . $partnerId, '--key_id=' . $keyId];
        foreach ($options as $name => $value) {
            self::known((string) $name, ['page', 'per_page', 'plans', 'activated_after', 'activated_before']);
            if ($value === null) {
                continue;
            }
            if ($name === 'plans') {
                $plans = is_array($value) ? $value : [$value];
                foreach ($plans as $plan) {
                    if (str_contains((string) $plan, ',')) {
                        throw Errors::invalid('plans', 'a plan contains a comma');
                    }
                }
                $args[] = '--plans=' . implode(',', array_map('strval', $plans));
            } else {
                $args[] = '--' . $name . '=' . self::scalar((string) $name, $value);
            }
        }
        return $this->command(['activations'], $args, $userToken);
    }

    public function activationsSummary(#[\SensitiveParameter] string $userToken, array $options): array
    {
        $args = [];
        foreach ($options as $name => $value) {
            self::known((string) $name, ['key_id', 'scale']);
            if ($value !== null) {
                $args[] = '--' . $name . '=' . self::scalar((string) $name, $value);
            }
        }
        return $this->command(['activations-summary'], $args, $userToken);
    }

    public function invoices(#[\SensitiveParameter] string $userToken, string $partnerId, string $keyId): array
    {
        return $this->command(['invoices'], ['--reporting_partner=' . $partnerId, '--key_id=' . $keyId], $userToken);
    }

    public function upcomingInvoice(#[\SensitiveParameter] string $userToken, string $partnerId, string $keyId): array
    {
        return $this->command(['upcoming-invoice'], ['--reporting_partner=' . $partnerId, '--key_id=' . $keyId], $userToken);
    }

    public function partnerDetails(#[\SensitiveParameter] string $userToken): array
    {
        return $this->command(['partner'], [], $userToken);
    }

    public function authorizeUrl(array $options): array
    {
        throw self::unsupported('authorizeUrl');
    }

    public function exchangeCode(#[\SensitiveParameter] string $code, string $redirectUri): array
    {
        throw self::unsupported('exchangeCode');
    }

    public function passwordGrant(string $username, #[\SensitiveParameter] string $password): array
    {
        throw self::unsupported('passwordGrant');
    }

    public function tokenInfo(#[\SensitiveParameter] string $token): array
    {
        return $this->command(['token-info'], [], $token);
    }

    public function licenseIssue(string $product): array
    {
        return $this->command(['license', 'issue'], ['--product=' . $product]);
    }

    public function licenseStatus(string $licenseKey): array
    {
        return $this->command(['license', 'status'], ['--license_key=' . $licenseKey]);
    }

    public function licenseRevoke(string $licenseKey): array
    {
        return $this->command(['license', 'revoke'], ['--license_key=' . $licenseKey]);
    }

    public function licenseAttach(string $licenseKey, string $site): array
    {
        return $this->command(['license', 'attach'], ['--license_key=' . $licenseKey, '--site=' . $site]);
    }

    public function licenseDetach(string $licenseKey, array $options): array
    {
        $args = ['--license_key=' . $licenseKey];
        foreach ($options as $name => $value) {
            if ($value === null) {
                continue;
            }
            if ($name !== 'cancellation_email') {
                throw Errors::invalid((string) $name, 'unknown option');
            }
            if (!is_bool($value)) {
                throw Errors::invalid($name, 'expected a boolean');
            }
            $args[] = '--cancellation_email=' . ($value ? 'true' : 'false');
        }
        return $this->command(['license', 'detach'], $args);
    }

    public function productFamilies(): array
    {
        return $this->command(['product-families'], []);
    }

    public function licensingPartner(#[\SensitiveParameter] string $userToken): array
    {
        return $this->command(['licensing-partner'], [], $userToken);
    }

    public function siteConnection(string $url, string $localUser): array
    {
        return $this->command(['site-connection'], ['--url=' . $url, '--user=' . $localUser]);
    }

    /**
     * The exception for a method the command-line tool has no command for.
     */
    public static function unsupported(string $method): Exception
    {
        return new Exception(
            'unsupported_in_cli_mode',
            sprintf(
                'Client::%s() needs the library in-process (PHP FFI): the jetpack-partner command-line tool,'
                . ' which the client runs when PHP has no FFI extension, has no command for it',
                $method
            )
        );
    }

    /**
     * Runs a command of the tool with --json output.
     *
     * @param list<string> $words the command (one or two words: "license", "issue")
     * @param list<string> $args
     * @return array<mixed>
     */
    private function command(array $words, array $args, #[\SensitiveParameter] ?string $userToken = null): array
    {
        $argv = array_merge([$this->cli], $words, $this->globalArgs, $args, ['--json']);
        return $this->execute(implode(' ', $words), $argv, $userToken);
    }

    /**
     * --query / --form arguments of the generic request: NAME=VALUE; a list as NAME[]=ITEM
     * per item (how the library sends a list).
     *
     * @param mixed $value
     * @return list<string>
     */
    private static function fieldArgs(string $kind, string $name, #[\SensitiveParameter] $value): array
    {
        if ($name === '' || str_contains($name, '=')) {
            throw Errors::invalid($kind, sprintf('the name "%s" cannot be passed to the command-line tool', $name));
        }
        if ($value === null) {
            return [];
        }
        if (!is_array($value)) {
            return ['--' . $kind . '=' . $name . '=' . self::scalar($kind . '.' . $name, $value)];
        }
        $listName = str_ends_with($name, '[]') ? $name : $name . '[]';
        $out = [];
        foreach ($value as $item) {
            $out[] = '--' . $kind . '=' . $listName . '=' . self::scalar($kind . '.' . $name, $item);
        }
        return $out;
    }

    /** @param list<string> $names */
    private static function known(string $name, array $names): void
    {
        if (!in_array($name, $names, true)) {
            throw Errors::invalid($name, 'unknown option (known: ' . implode(', ', $names) . ')');
        }
    }

    /** @param mixed $value */
    private static function scalar(string $field, $value): string
    {
        if (is_bool($value)) {
            return $value ? 'true' : 'false';
        }
        if (is_int($value) || is_string($value)) {
            return (string) $value;
        }
        if (is_float($value) && is_finite($value)) {
            return json_encode($value, JSON_PRESERVE_ZERO_FRACTION);
        }
        throw Errors::invalid($field, 'expected a string, a number, a boolean or a list of them');
    }

    /**
     * @param list<string> $args
     * @param array<string, mixed> $options
     * @return array<mixed>
     */
    private function run(string $command, array $args, #[\SensitiveParameter] array $options): array
    {
        // Passwords on the command line would be visible in the process list: the tool reads them
        // from its environment instead.
        $secretEnv = [];
        foreach (['ssh_pass' => 'JETPACK_PARTNER_SSH_PASS', 'ftp_pass' => 'JETPACK_PARTNER_FTP_PASS'] as $name => $variable) {
            if (isset($options[$name]) && is_string($options[$name]) && $options[$name] !== '') {
                $secretEnv[$variable] = $options[$name];
                unset($options[$name]);
            }
        }
        $keyFile = null;
        if (isset($options['ssh_private_key']) && is_string($options['ssh_private_key'])) {
            // A key on the command line would be visible in the process list: hand it over in a file only we can read.
            $keyFile = self::privateFile($options['ssh_private_key']);
            unset($options['ssh_private_key']);
            $args[] = '--ssh_private_key_file=' . $keyFile;
        }
        try {
            return $this->execute($command, array_merge([$this->cli, $command], $this->globalArgs, $args, self::optionArgs($command, $options)), null, false, $secretEnv);
        } finally {
            if ($keyFile !== null) {
                @unlink($keyFile);
            }
        }
    }

    private static function privateFile(#[\SensitiveParameter] string $content): string
    {
        $old = umask(0077);
        try {
            $file = tempnam(sys_get_temp_dir(), 'jetpack-partner-key-');
            if ($file === false || !chmod($file, 0600) || file_put_contents($file, $content) !== strlen($content)) {
                if ($file !== false) {
                    @unlink($file);
                }
                throw new Exception('cli_failed', 'could not write a temporary key file in ' . sys_get_temp_dir());
            }
            return $file;
        } finally {
            umask($old);
        }
    }

    /**
     * @param list<string> $argv
     * @return mixed the reply: an array, or with $any any JSON value
     */
    private function execute(string $command, #[\SensitiveParameter] array $argv, #[\SensitiveParameter] ?string $userToken = null, bool $any = false, #[\SensitiveParameter] array $secretEnv = [])
    {
        $env = array_merge(self::environment(), $secretEnv);
        $env['JETPACK_PARTNER_ID'] = $this->partnerId;
        $env['JETPACK_PARTNER_SECRET'] = $this->partnerSecret;
        if ($userToken !== null) {
            // A token on the command line would be visible in the process list.
            $env['JETPACK_PARTNER_USER_TOKEN'] = $userToken;
        }

        $pipes = [];
        $proc = @proc_open($argv, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        if (!is_resource($proc)) {
            throw new Exception('cli_failed', 'could not start ' . $this->cli);
        }
        fclose($pipes[0]);
        [$stdout, $stderr] = self::drain($pipes[1], $pipes[2]);
        $status = proc_close($proc);

        if ($status === 0) {
            return $any ? Errors::decodeAny(trim($stdout)) : Errors::decodeReply($stdout);
        }
        if ($status === 1) {
            $error = json_decode(trim($stdout), true, 512, JSON_BIGINT_AS_STRING);
            if (is_array($error) && isset($error['error_code']) && is_string($error['error_code'])) {
                $code = $error['error_code'];
                $message = is_string($error['error_message'] ?? null) ? $error['error_message'] : '';
                $http = is_int($error['http_status'] ?? null) ? $error['http_status'] : null;
                $attempts = is_int($error['attempts'] ?? null) ? $error['attempts'] : 0;
                $body = null;
                if (is_array($error['response'] ?? null)) {
                    $body = $error['response'];
                } elseif (!Errors::isClientCode($code)) {
                    $body = ['error' => $code, 'message' => $message];
                }
                throw Errors::make($code, $message, $http, $attempts, $body);
            }
        }
        if ($status === 2) {
            $line = trim(strtok(trim($stderr), "\n") ?: '');
            throw Errors::make('invalid_argument', $line !== '' ? $line : 'refused by ' . $this->cli);
        }
        throw new Exception(
            'cli_failed',
            sprintf('%s %s exited with status %d: %s', $this->cli, $command, $status, self::excerpt($stderr !== '' ? $stderr : $stdout))
        );
    }

    public function batch(string $operation, iterable $items, array $options): \Generator
    {
        // The items go to `jetpack-partner bulk` as JSON lines on stdin (never on its command line:
        // they may hold backup passwords); line N of the input is item $lineIndex[N].
        $input = '';
        $lineIndex = [];
        $refused = [];
        $index = 0;
        foreach ($items as $item) {
            try {
                if (!is_array($item)) {
                    throw Errors::invalid('item', 'must be an array');
                }
                foreach ($operation === 'provision' ? Batch::PROVISION_FIELDS : Batch::CANCEL_FIELDS as $field) {
                    Batch::text($item, $field);
                }
                $fields = array_filter($item, fn ($v) => $v !== null);
                $input .= json_encode((object) $fields, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
                $lineIndex[count($lineIndex) + 1] = $index;
            } catch (Exception | \JsonException $e) {
                $refused[] = Batch::refused($operation, $index, $item, $e->getMessage());
            }
            $index++;
        }
        yield from $refused;
        if ($lineIndex === []) {
            return;
        }
        $argv = array_merge([$this->cli, 'bulk', $operation, '--input=-', '--concurrency=' . $options['concurrency']], $this->globalArgs);
        if ($options['journal'] !== null) {
            $argv[] = '--journal=' . $options['journal'];
        }
        [$proc, $pipes] = $this->spawn($argv, null);
        $finished = false;
        try {
            fwrite($pipes[0], $input);
            fclose($pipes[0]);
            $failure = null;
            while (($line = fgets($pipes[1])) !== false) {
                $value = json_decode($line, true, 512, JSON_BIGINT_AS_STRING);
                if (!is_array($value)) {
                    continue;
                }
                if (isset($value['error_code'])) {
                    $failure = $value;
                    continue;
                }
                $position = $lineIndex[(int) ($value['line'] ?? 0)] ?? (int) ($value['index'] ?? -1);
                yield Batch::result($value, $position);
            }
            $finished = true;
        } finally {
            // Leaving early closes the tool's stdout: it starts nothing new, and the calls in flight
            // finish and are journaled before it exits.
            fclose($pipes[1]);
            $stderr = stream_get_contents($pipes[2]);
            fclose($pipes[2]);
            $status = proc_close($proc);
        }
        if ($finished && $status !== 0 && $status !== 1) {
            if (is_array($failure)) {
                throw Errors::make((string) $failure['error_code'], (string) ($failure['error_message'] ?? ''));
            }
            throw new Exception('cli_failed', sprintf('%s bulk exited with status %d: %s', $this->cli, $status, self::excerpt((string) $stderr)));
        }
    }

    public function reconcile(array $expected, #[\SensitiveParameter] array $options): array
    {
        $input = '';
        foreach ($expected as $line) {
            if (isset($options['local_user']) && !isset($line['local_user'])) {
                $line['local_user'] = $options['local_user'];
            }
            $input .= json_encode((object) $line, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
        }
        $argv = array_merge([$this->cli, 'reconcile', '--expected=-', '--json'], $this->globalArgs);
        if (($options['fix'] ?? false) === true) {
            $argv[] = '--fix';
        }
        if (isset($options['concurrency'])) {
            $argv[] = '--concurrency=' . $options['concurrency'];
        }
        if (isset($options['journal'])) {
            $argv[] = '--journal=' . $options['journal'];
        }
        [$proc, $pipes] = $this->spawn($argv, $options['user_token'] ?? null);
        fwrite($pipes[0], $input);
        fclose($pipes[0]);
        [$stdout, $stderr] = self::drain($pipes[1], $pipes[2]);
        $status = proc_close($proc);
        $value = json_decode(trim($stdout), true, 512, JSON_BIGINT_AS_STRING);
        if (($status === 0 || $status === 1) && is_array($value) && isset($value['counts'])) {
            unset($value['rejected']);
            return $value;
        }
        if (is_array($value) && isset($value['error_code'])) {
            throw Errors::make((string) $value['error_code'], (string) ($value['error_message'] ?? ''));
        }
        throw new Exception('cli_failed', sprintf('%s reconcile exited with status %d: %s', $this->cli, $status, self::excerpt($stderr !== '' ? $stderr : $stdout)));
    }

    /**
     * Starts the tool with the partner credentials (and a user token) in its environment.
     *
     * @param list<string> $argv
     * @return array{resource, array<int, resource>}
     */
    private function spawn(array $argv, #[\SensitiveParameter] ?string $userToken): array
    {
        $env = self::environment();
        $env['JETPACK_PARTNER_ID'] = $this->partnerId;
        $env['JETPACK_PARTNER_SECRET'] = $this->partnerSecret;
        if ($userToken !== null) {
            $env['JETPACK_PARTNER_USER_TOKEN'] = $userToken;
        }
        $pipes = [];
        $proc = @proc_open($argv, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        if (!is_resource($proc)) {
            throw new Exception('cli_failed', 'could not start ' . $this->cli);
        }
        return [$proc, $pipes];
    }

    /**
     * @param array<string, mixed> $options
     * @return list<string>
     */
    private static function optionArgs(string $command, #[\SensitiveParameter] array $options): array
    {
        $known = self::OPTIONS[$command] ?? [];
        $args = [];
        foreach ($options as $name => $value) {
            $name = (string) $name;
            if (!isset($known[$name])) {
                throw Errors::invalid($name, 'unknown option');
            }
            if ($value === null) {
                continue;
            }
            if ($value === '') {
                throw Errors::invalid($name, 'must not be empty (leave the option out instead)');
            }
            switch ($known[$name]) {
                case 'bool':
                    $bool = is_bool($value) ? $value : [0 => false, 1 => true, '0' => false, '1' => true, 'false' => false, 'true' => true][is_string($value) ? strtolower($value) : $value] ?? null;
                    if ($bool === null) {
                        throw Errors::invalid($name, 'expected a boolean');
                    }
                    $args[] = '--' . $name . '=' . ($bool ? 'true' : 'false');
                    break;
                case 'int':
                    if (is_string($value) && preg_match('/^[0-9]+$/', $value) === 1) {
                        $value = (int) $value;
                    }
                    if (!is_int($value) || $value < 0) {
                        throw Errors::invalid($name, 'expected a non-negative integer');
                    }
                    $args[] = '--' . $name . '=' . $value;
                    break;
                default:
                    if (!is_string($value)) {
                        throw Errors::invalid($name, 'expected a string');
                    }
                    $args[] = '--' . $name . '=' . $value;
            }
        }
        return $args;
    }

    /**
     * The child's environment: ours, without the variables the tool would read in
     * place of the client's own settings.
     *
     * @return array<string, string>
     */
    private static function environment(): array
    {
        $env = getenv();
        unset(
            $env['JETPACK_PARTNER_API_BASE'],
            $env['JETPACK_START_API_HOST'],
            $env['JETPACK_PARTNER_ID'],
            $env['JETPACK_PARTNER_SECRET'],
            $env['JETPACK_PARTNER_USER_TOKEN'],
            $env['JETPACK_PARTNER_SSH_PASS'],
            $env['JETPACK_PARTNER_FTP_PASS']
        );
        return $env;
    }

    /**
     * Reads both pipes to the end without blocking on either.
     *
     * @param resource $out
     * @param resource $err
     * @return array{string, string}
     */
    private static function drain($out, $err): array
    {
        $buffers = [(int) $out => '', (int) $err => ''];
        $open = [$out, $err];
        stream_set_blocking($out, false);
        stream_set_blocking($err, false);
        while ($open !== []) {
            $read = $open;
            $write = null;
            $except = null;
            if (@stream_select($read, $write, $except, 5) === false) {
                break;
            }
            foreach ($read as $stream) {
                $chunk = fread($stream, 65536);
                if ($chunk !== false && $chunk !== '') {
                    $buffers[(int) $stream] .= $chunk;
                    continue;
                }
                if (feof($stream)) {
                    fclose($stream);
                    $open = array_values(array_filter($open, fn ($s) => $s !== $stream));
                }
            }
        }
        foreach ($open as $stream) {
            fclose($stream);
        }
        return [$buffers[(int) $out], $buffers[(int) $err]];
    }

    private static function seconds(int $ms): string
    {
        $s = rtrim(rtrim(sprintf('%.3F', $ms / 1000), '0'), '.');
        return $s === '' ? '0' : $s;
    }

    private static function excerpt(string $text): string
    {
        $text = trim($text);
        return strlen($text) > 500 ? substr($text, 0, 500) . '...' : $text;
    }
}
