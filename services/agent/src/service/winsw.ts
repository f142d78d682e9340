// The WinSW configuration of the "Ferry Agent" service. WinSW (the wrapper node-windows ships; see
// vendor/winsw/README.md for why Node.js cannot be a service by itself) reads <its name>.xml beside it.

export const SERVICE_ID = "FerryAgent";
export const SERVICE_NAME = "Ferry Agent";
export const WRAPPER_EXE = "ferry-agent-service.exe";
export const WRAPPER_XML = "ferry-agent-service.xml";

export interface WrapperConfig {
  nodePath: string;
  agentScript: string;
  configFile: string;
  stateDir: string;
  logDir: string;
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** LocalSystem (no <serviceaccount>), automatic start, restarted after 10 s / 30 s / 60 s when it fails. */
export function wrapperXml(config: WrapperConfig): string {
  const args = `"${config.agentScript}" run --config "${config.configFile}"`;
  return `<service>
  <id>${SERVICE_ID}</id>
  <name>${SERVICE_NAME}</name>
  <description>Ferry's Hyper-V host agent: connects this host to the Ferry control plane for live migration.</description>
  <executable>${xml(config.nodePath)}</executable>
  <arguments>${xml(args)}</arguments>
  <workingdirectory>${xml(config.stateDir)}</workingdirectory>
  <startmode>Automatic</startmode>
  <onfailure action="restart" delay="10 sec"/>
  <onfailure action="restart" delay="30 sec"/>
  <onfailure action="restart" delay="60 sec"/>
  <resetfailure>1 hour</resetfailure>
  <stoptimeout>30 sec</stoptimeout>
  <logpath>${xml(config.logDir)}</logpath>
  <log mode="roll-by-size">
    <sizeThreshold>10240</sizeThreshold>
    <keepFiles>4</keepFiles>
  </log>
</service>
`;
}
