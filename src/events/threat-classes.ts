/** The 7 classes vigil predicts, in model-output order. The order is part of every model. */
export const THREAT_CLASSES = [
  'normal',
  'dos',
  'recon',
  'brute_force',
  'web_attack',
  'botnet',
  'intrusion',
] as const;
export type ThreatClass = (typeof THREAT_CLASSES)[number];
export const NORMAL_CLASS_INDEX = 0;

/** CICIDS2017 labels (both releases) to classes; see ../shared/data/README.md. */
const CICIDS_LABELS: Record<string, ThreatClass> = {
  benign: 'normal',
  ddos: 'dos',
  'dos hulk': 'dos',
  'dos goldeneye': 'dos',
  'dos slowloris': 'dos',
  'dos slowhttptest': 'dos',
  portscan: 'recon',
  'infiltration - portscan': 'recon',
  'ftp-patator': 'brute_force',
  'ssh-patator': 'brute_force',
  'web attack - brute force': 'web_attack',
  'web attack - xss': 'web_attack',
  'web attack - sql injection': 'web_attack',
  bot: 'botnet',
  botnet: 'botnet',
  infiltration: 'intrusion',
  heartbleed: 'intrusion',
};

function normaliseLabel(label: string): string {
  return label
    .trim()
    .toLowerCase()
    .replace(/[^\x20-\x7e]+/g, '-') // the original release writes "Web Attack \x96 Brute Force"
    .replace(/\s*-\s*/g, ' - ')
    .replace(/\s+/g, ' ');
}

const LABEL_TO_CLASS = new Map<string, ThreatClass>(
  Object.entries(CICIDS_LABELS).map(([label, c]) => [normaliseLabel(label), c]),
);
for (const c of THREAT_CLASSES) LABEL_TO_CLASS.set(normaliseLabel(c), c);

/** The class of a source label (a CICIDS2017 label or a class name), or undefined if unknown. */
export function classOfLabel(label: string): ThreatClass | undefined {
  return LABEL_TO_CLASS.get(normaliseLabel(label));
}

export function classIndex(c: ThreatClass): number {
  return THREAT_CLASSES.indexOf(c);
}
