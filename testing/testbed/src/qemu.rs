// SPDX-License-Identifier: GPL-2.0

//! Boots the test kernel under QEMU (TCG, never KVM: on these machines
//! QEMU hangs with it) with a hard timeout.
//!
//! The kernel console goes to one port and the guest test runner's KTAP
//! output to another, so kernel messages never interleave with results:
//! on x86_64 two serial ports, on arm64 (QEMU's `virt` machine has one
//! UART) the UART and a virtio console. The guest's /init reads which
//! port is its output from `kfunc_rs.out=` on the kernel command line.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A guest architecture: the QEMU machine and its ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Arch {
    /// x86_64: QEMU's default PC; console ttyS0, output ttyS1.
    #[value(name = "x86_64")]
    X86_64,
    /// arm64: QEMU's `virt`; console ttyAMA0 (PL011), output hvc0.
    #[value(name = "arm64")]
    Arm64,
}

impl Arch {
    /// The QEMU system emulator of this architecture.
    pub fn qemu(self) -> &'static str {
        match self {
            Arch::X86_64 => "qemu-system-x86_64",
            Arch::Arm64 => "qemu-system-aarch64",
        }
    }

    /// The machine and CPU arguments.
    fn machine(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["-cpu", "max"],
            // Under TCG, QEMU's own (`impdef`) pointer authentication
            // algorithm is much faster to emulate than the architected one.
            Arch::Arm64 => &["-machine", "virt", "-cpu", "max,pauth-impdef=on"],
        }
    }

    /// The guest's console device.
    fn console(self) -> &'static str {
        match self {
            Arch::X86_64 => "ttyS0",
            Arch::Arm64 => "ttyAMA0",
        }
    }

    /// The guest device of the second port, which the guest runner
    /// writes to.
    fn output(self) -> &'static str {
        match self {
            Arch::X86_64 => "ttyS1",
            Arch::Arm64 => "hvc0",
        }
    }

    /// The arguments that connect QEMU's chardev `output` to that device.
    fn output_args(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["-serial", "chardev:output"],
            Arch::Arm64 => &[
                "-device",
                "virtio-serial-device",
                "-device",
                "virtconsole,chardev=output",
            ],
        }
    }
}

/// What to boot.
#[derive(Debug, Clone)]
pub struct Boot {
    /// The guest's architecture.
    pub arch: Arch,
    /// The kernel image (bzImage, Image).
    pub kernel: PathBuf,
    /// The initramfs.
    pub initrd: PathBuf,
    /// Extra kernel command line words.
    pub append: String,
    /// Hard limit on the whole run.
    pub timeout: Duration,
    /// Directory that receives console.log and ktap.log.
    pub out_dir: PathBuf,
    /// Number of virtual CPUs.
    pub cpus: u32,
    /// Memory, in MiB.
    pub memory: u32,
    /// The QEMU binary.
    pub qemu: String,
}

/// How a boot ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// QEMU exited by itself (the guest rebooted or powered off).
    Exited,
    /// The timeout expired and QEMU was killed.
    TimedOut,
    /// QEMU could not start or failed on its own.
    QemuFailed(String),
}

/// The outcome of a boot.
#[derive(Debug)]
pub struct Run {
    /// How it ended.
    pub exit: Exit,
    /// The kernel console.
    pub console: String,
    /// What the guest runner printed on the second serial port.
    pub output: String,
    /// Wall time of the boot.
    pub elapsed: Duration,
}

impl Boot {
    fn command(&self, console: &Path, output: &Path) -> Command {
        let mut cmd = Command::new(&self.qemu);
        cmd.args(["-accel", "tcg", "-no-reboot"])
            .arg("-m")
            .arg(self.memory.to_string())
            .args(self.arch.machine())
            .args(["-display", "none", "-monitor", "none", "-nodefaults"])
            .arg("-smp")
            .arg(self.cpus.to_string())
            .arg("-kernel")
            .arg(&self.kernel)
            .arg("-initrd")
            .arg(&self.initrd)
            .arg("-append")
            .arg(format!(
                "console={} panic=-1 oops=panic loglevel=7 kfunc_rs.out={} {}",
                self.arch.console(),
                self.arch.output(),
                self.append
            ))
            .arg("-chardev")
            .arg(format!("file,id=console,path={}", console.display()))
            .args(["-serial", "chardev:console"])
            .arg("-chardev")
            .arg(format!("file,id=output,path={}", output.display()))
            .args(self.arch.output_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// Boots, waits for the guest to power off or the timeout to expire,
    /// and collects what it printed.
    pub fn run(&self) -> Result<Run> {
        std::fs::create_dir_all(&self.out_dir)
            .with_context(|| format!("creating {}", self.out_dir.display()))?;
        let console = self.out_dir.join("console.log");
        let output = self.out_dir.join("ktap.log");
        for f in [&console, &output] {
            let _ = std::fs::remove_file(f);
        }
        if !self.kernel.is_file() {
            bail!("kernel image {} does not exist", self.kernel.display());
        }
        if !self.initrd.is_file() {
            bail!("initramfs {} does not exist", self.initrd.display());
        }
        let start = Instant::now();
        let mut child = self
            .command(&console, &output)
            .spawn()
            .with_context(|| format!("starting {}", self.qemu))?;
        let exit = loop {
            if let Some(status) = child.try_wait()? {
                if status.success() {
                    break Exit::Exited;
                }
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                break Exit::QemuFailed(format!("{status}: {}", err.trim()));
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                break Exit::TimedOut;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let read = |p: &Path| {
            std::fs::read(p)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        Ok(Run {
            exit,
            console: read(&console),
            output: read(&output),
            elapsed: start.elapsed(),
        })
    }
}
