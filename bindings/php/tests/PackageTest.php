<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use PHPUnit\Framework\TestCase;

/** The package loads without Composer, and its composer.json PSR-4 map matches the files. */
final class PackageTest extends TestCase
{
    public function testComposerJsonMapsTheNamespaceToSrc(): void
    {
        $composer = json_decode((string) file_get_contents(Env::packageDir() . '/composer.json'), true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame(['JetpackPartner\\' => 'src/'], $composer['autoload']['psr-4']);
        $this->assertArrayHasKey('ext-ffi', $composer['suggest']);
    }

    public function testEveryFileDeclaresTheClassItsPathNames(): void
    {
        $files = glob(Env::packageDir() . '/src/{,Internal/}*.php', GLOB_BRACE);
        $this->assertNotEmpty($files);
        foreach ($files as $file) {
            $relative = substr($file, strlen(Env::packageDir() . '/src/'), -4);
            $class = 'JetpackPartner\\' . str_replace('/', '\\', $relative);
            $this->assertTrue(class_exists($class) || interface_exists($class), "$file does not declare $class");
        }
    }

    public function testAutoloadAloneIsEnough(): void
    {
        $script = tempnam(sys_get_temp_dir(), 'jp-autoload-');
        file_put_contents($script, '<?php require ' . var_export(Env::packageDir() . '/autoload.php', true) . ";\n"
            . "echo implode(',', [JetpackPartner\\Client::VERSION, get_parent_class(JetpackPartner\\ApiException::class),"
            . " get_parent_class(JetpackPartner\\TransportException::class), get_parent_class(JetpackPartner\\InvalidArgumentException::class),"
            . " get_parent_class(JetpackPartner\\Exception::class)]);\n");
        try {
            $r = Env::php($script, ['-n']);
        } finally {
            unlink($script);
        }
        $this->assertSame(0, $r['status'], $r['stderr']);
        $this->assertSame(
            '0.1.0,JetpackPartner\\Exception,JetpackPartner\\Exception,JetpackPartner\\Exception,RuntimeException',
            $r['stdout']
        );
    }
}
