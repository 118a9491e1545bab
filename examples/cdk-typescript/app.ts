// The example as a CDK app: `npx cdk synth --app 'npx ts-node app.ts' -c imageVersion=3f9a1c2e`.
import { App } from 'aws-cdk-lib';
import { CloudTakStack } from './cloudtak-stack';

const app = new App();
new CloudTakStack(app, 'CloudTak', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
