import { Option } from "commander";

/** A commander option that may also come from `DSYNC_<NAME>` (the flag wins). */
export function envOption(flags: string, description: string): Option {
  const option = new Option(flags, description);
  const envName = "DSYNC_" + option.attributeName().replace(/[A-Z]/g, (c) => "_" + c)
    .toUpperCase();
  return option.env(envName);
}
