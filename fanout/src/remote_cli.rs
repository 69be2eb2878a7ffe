//! The options of jobs beyond this machine that `cli` hands over: files
//! to and from the hosts (`transfer`), every host at once, the
//! environment, more about hosts.

use std::ffi::OsString;
use std::process::Stdio;

use crate::cli::Config;
use crate::inputs::Source;
use crate::options::Key;

/// Applies the option `key` (given as `name`).
///
/// # Errors
///
/// Its value is missing or bad.
/// True for the options [`option`] parses.
pub(crate) fn handles(key: Key) -> bool {
    matches!(
        key,
        Key::Transferfile
            | Key::Transfer
            | Key::Return
            | Key::Cleanup
            | Key::Trc
            | Key::Basefile
            | Key::Workdir
            | Key::Onall
            | Key::Nonall
            | Key::Env
            | Key::Sshdelay
            | Key::FilterHosts
    )
}

pub(crate) fn option(
    config: &mut Config,
    key: Key,
    name: &str,
    parser: &mut lexopt::Parser,
) -> Result<(), String> {
    let mut value = || -> Result<OsString, String> { parser.value().map_err(|e| e.to_string()) };
    let files = &mut config.files;
    match key {
        Key::Transferfile => files.transfer.push(value()?),
        Key::Transfer => files.transfer.push("{}".into()),
        Key::Return => files.returns.push(value()?),
        Key::Cleanup => files.cleanup = true,
        Key::Trc => {
            files.returns.push(value()?);
            files.transfer.push("{}".into());
            files.cleanup = true;
        }
        Key::Basefile => files.basefiles.push(value()?.into()),
        Key::Workdir => files.workdir = Some(value()?),
        Key::Onall => config.every_host = true,
        Key::Nonall => (config.every_host, config.nonall) = (true, true),
        Key::Env => {
            let names = value()?
                .into_string()
                .map_err(|v| format!("{name} needs a name, not {v:?}"))?;
            config.env_names.extend(names.split(',').map(str::to_owned));
        }
        Key::Sshdelay => {
            let text = value()?.into_string().unwrap_or_default();
            config.ssh_delay = Some(crate::values::seconds(name, &text)?);
        }
        Key::FilterHosts => config.filter_hosts = true,
        _ => unreachable!("{name} is parsed by cli"),
    }
    Ok(())
}

/// After the whole command line: what the options above need of the rest.
///
/// # Errors
///
/// `--onall`/`--nonall` without `-S`, or `--nonall` with arguments.
pub(crate) fn finish(config: &mut Config) -> Result<(), String> {
    if config.every_host && config.hosts.is_empty() {
        return Err("--onall and --nonall need -S or --sshlogin-file".into());
    }
    config.env = crate::env::passed(&config.env_names)?;
    let remote = config.hosts.iter().any(|h| h.name.is_some());
    if let (Some(ssh_delay), true) = (config.ssh_delay, remote) {
        config.delay = Some(config.delay.map_or(ssh_delay, |d| d.max(ssh_delay)));
    }
    if config.nonall {
        if !config.sources.is_empty() {
            return Err("--nonall takes no arguments (::: or ::::)".into());
        }
        // One job a host, of no argument.
        config.sources.push(Source::Args(vec![OsString::new()]));
    }
    Ok(())
}

/// `--filter-hosts`: drops the remote hosts that `ssh HOST true` does
/// not answer in time, with a warning each; they are asked all at once.
pub(crate) fn filter_hosts(config: &mut Config) {
    if !config.filter_hosts {
        return;
    }
    let answers: Vec<_> = config
        .hosts
        .iter()
        .map(|host| {
            let name = host.name.clone()?;
            let (words, target) = crate::remote::plain_for_host(&config.ssh, &name);
            let mut ssh = std::process::Command::new(&words[0]);
            ssh.args(&words[1..])
                .args(["-o", "ConnectTimeout=10", "--", &target, "true"]);
            ssh.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            Some(ssh.spawn())
        })
        .collect();
    let mut kept = Vec::new();
    for (host, answer) in config.hosts.clone().into_iter().zip(answers) {
        let up = match answer {
            None => true,
            Some(child) => child.and_then(|mut c| c.wait()).is_ok_and(|s| s.success()),
        };
        if up {
            kept.push(host);
        } else {
            eprintln!(
                "fanout: warning: --filter-hosts: {} does not answer; left out",
                host.label()
            );
        }
    }
    if kept.is_empty() {
        // None answers: their jobs fail and say why.
        eprintln!("fanout: warning: --filter-hosts: no host answers; all kept");
        return;
    }
    config.hosts = kept;
}
