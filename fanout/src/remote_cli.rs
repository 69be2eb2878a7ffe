//! The options of jobs beyond this machine that `cli` hands over: files
//! to and from the hosts (`transfer`), every host at once, the
//! environment, more about hosts.

use std::ffi::OsString;

use crate::cli::Config;
use crate::inputs::Source;
use crate::options::Key;

/// Applies the option `key` (given as `name`).
///
/// # Errors
///
/// Its value is missing or bad.
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
    if config.nonall {
        if !config.sources.is_empty() {
            return Err("--nonall takes no arguments (::: or ::::)".into());
        }
        // One job a host, of no argument.
        config.sources.push(Source::Args(vec![OsString::new()]));
    }
    Ok(())
}
