/* renderApp(): the minimal app of a new service, rendered like every other template. */
import { TemplateInputError, renderApp } from '../index';

const versions = { next: '16.4.6', react: '19.3.1', reactDom: '19.3.1' };

describe('renderApp()', () => {
  it('fastapi: the package folder is named after the ASGI module, and the app serves health', () => {
    const files = renderApp({ name: 'worker', type: 'fastapi', port: 8100, pkg: 'worker_api', asgiApp: 'worker_api.main:app', versions });
    expect(Object.keys(files).sort()).toEqual(['requirements.txt', 'worker_api/__init__.py', 'worker_api/__main__.py', 'worker_api/main.py']);
    expect(files['worker_api/main.py']).toMatch(/healthz/);
  });

  it('nextjs: package.json pins the versions the workspace already uses', () => {
    const files = renderApp({ name: 'admin', type: 'nextjs', port: 3100, pkg: 'admin', asgiApp: '', versions });
    expect(Object.keys(files).sort()).toEqual(['app/api/health/route.js', 'app/api/ready/route.js', 'app/layout.js', 'app/page.js', 'next.config.js', 'package.json']);
    expect(JSON.parse(files['package.json'])).toMatchObject({ name: 'admin', dependencies: { next: '16.4.6', react: '19.3.1', 'react-dom': '19.3.1' } });
  });

  it('refuses an invalid input, naming the field', () => {
    expect(() => renderApp({ name: 'Bad_Name', type: 'fastapi', port: 8100, pkg: 'x', asgiApp: 'x.main:app', versions })).toThrow(TemplateInputError);
    expect(() => renderApp({ name: 'ok', type: 'fastapi', port: 8100, pkg: 'x', asgiApp: 'x.main:app', versions })).not.toThrow();
  });
});
